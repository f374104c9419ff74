"""Calibrate a rule pack from a store's own results (``jxc-rules calibrate`` / ``backtest``).

Optional extra ``[calibrate]`` (statsmodels, pandas, openpyxl); nothing heavy loads until a fit
runs.
"""
