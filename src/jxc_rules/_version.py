"""The one version source (pyproject reads it through hatch; ``jxc_rules.__version__``)."""

__version__ = "0.2.0.dev0"
