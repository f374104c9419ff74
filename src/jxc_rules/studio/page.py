"""The studio's page: its HTML, kept here rather than as ``static/index.html``.

The repository's ``.gitignore`` ignores ``*.html`` (generated reports), and hatch leaves
git-ignored files out of the wheel, so an ``.html`` file in the package would be missing from
both the repository and an install; the page's script and style are ``static/studio.js`` and
``static/studio.css``. Every text is replaced by the script's en/zh strings (``data-i18n``).
"""

from __future__ import annotations

__all__ = ["INDEX_HTML"]

INDEX_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>jxc-rules studio</title>
<link rel="stylesheet" href="/studio/static/studio.css">
<script src="/studio/static/studio.js" defer></script>
</head>
<body>
<header class="top">
  <h1><span data-i18n="title">Rule studio</span> <span class="muted">jxc-rules</span></h1>
  <div class="top-actions">
    <button type="button" id="lang" aria-pressed="false" data-i18n="lang_button">中文</button>
  </div>
</header>
<p id="session-error" class="problem" role="alert" hidden></p>

<main>
<section id="setup" aria-labelledby="setup-h">
  <h2 id="setup-h" data-i18n="setup">Scenario and packs</h2>
  <div class="setup-grid">
    <div class="field">
      <label for="scenario" data-i18n="scenario">Scenario</label>
      <select id="scenario"></select>
      <label for="scenario-file" class="file-label" data-i18n="upload_scenario">or upload a
        scenario (YAML)</label>
      <input type="file" id="scenario-file" accept=".yaml,.yml,text/yaml">
      <span class="error" id="scenario-error" role="alert"></span>
    </div>
    <div class="field">
      <label for="baseline" data-i18n="baseline">Baseline pack (today's rules)</label>
      <select id="baseline"></select>
      <label for="baseline-file" class="file-label" data-i18n="upload_pack">or upload a pack
        (YAML)</label>
      <input type="file" id="baseline-file" accept=".yaml,.yml,text/yaml">
      <span class="error" id="baseline-error" role="alert"></span>
    </div>
    <div class="field">
      <label for="candidate" data-i18n="candidate">Candidate pack (the proposal, edited
        below)</label>
      <select id="candidate"></select>
      <label for="candidate-file" class="file-label" data-i18n="upload_pack">or upload a pack
        (YAML)</label>
      <input type="file" id="candidate-file" accept=".yaml,.yml,text/yaml">
      <span class="error" id="candidate-error" role="alert"></span>
    </div>
  </div>
  <p id="scenario-desc" class="muted"></p>
</section>

<section id="assumptions" aria-labelledby="assumptions-h">
  <h2 id="assumptions-h" data-i18n="assumptions">Assumptions of the candidate pack</h2>
  <p class="muted" data-i18n="assumptions_help">Each field is one number of the pack; the
    baseline's value is shown beside it. The pack's own validator checks every change.</p>
  <p id="form-errors" class="problem" role="alert" hidden></p>
  <div id="groups"></div>
</section>

<section id="run" aria-labelledby="run-h">
  <h2 id="run-h" data-i18n="run">Run</h2>
  <div class="run-grid">
    <div class="field">
      <label for="trials" data-i18n="trials">Trials</label>
      <input type="number" id="trials" min="10" max="100000" step="10" value="1000"
        inputmode="numeric">
    </div>
    <div class="field">
      <label for="seed" data-i18n="seed">Seed</label>
      <input type="number" id="seed" min="0" step="1" value="0" inputmode="numeric">
    </div>
    <div class="field run-button">
      <button type="button" id="run-compare" class="primary" data-i18n="run_compare">Run
        compare</button>
    </div>
  </div>
  <details id="sweep-box">
    <summary data-i18n="sweeps">Sweeps: one parameter, or a grid of two</summary>
    <div class="run-grid">
      <div class="field">
        <label for="sweep-param" data-i18n="sweep_param">Parameter to sweep</label>
        <select id="sweep-param"></select>
      </div>
      <div class="field">
        <label for="sweep-values" data-i18n="sweep_values">Values (v1,v2,… or
          start:stop:step)</label>
        <input type="text" id="sweep-values" value="0:1.5:0.5" aria-describedby="sweep-error">
        <span class="error" id="sweep-error" role="alert"></span>
      </div>
      <div class="field run-button">
        <button type="button" id="run-sweep" data-i18n="run_sweep">Run sweep</button>
      </div>
    </div>
    <div class="run-grid">
      <div class="field">
        <label for="grid-param" data-i18n="grid_param">Second parameter (grid rows)</label>
        <select id="grid-param"></select>
      </div>
      <div class="field">
        <label for="grid-values" data-i18n="grid_values">Its values</label>
        <input type="text" id="grid-values" value="1.3,1.5,1.7" aria-describedby="grid-error">
        <span class="error" id="grid-error" role="alert"></span>
      </div>
      <div class="field run-button">
        <button type="button" id="run-grid" data-i18n="run_grid">Run grid</button>
      </div>
    </div>
  </details>
  <p id="blocked" class="problem" role="status" hidden data-i18n="blocked">A field holds a value
    the pack does not accept: fix the fields marked in red to run.</p>
  <div class="progress-row">
    <label for="progress" data-i18n="progress">Progress</label>
    <progress id="progress" max="100" value="0"></progress>
    <span id="progress-text" class="muted" role="status" aria-live="polite"></span>
    <button type="button" id="cancel" hidden data-i18n="cancel">Cancel</button>
  </div>
  <p id="run-error" class="problem" role="alert" hidden></p>
</section>

<section id="results" aria-labelledby="results-h" aria-live="polite">
  <h2 id="results-h" data-i18n="results">Results</h2>
  <p id="headline" class="headline"></p>
  <div id="notes"></div>
  <div id="kpi-table" class="wide"></div>
  <div id="sweep-result"></div>
  <div id="shortfall"></div>
  <p><button type="button" id="download-report" hidden data-i18n="download_report">Download the
    full report (HTML)</button></p>
</section>

<section id="save" aria-labelledby="save-h">
  <h2 id="save-h" data-i18n="save">Save as a new pack version</h2>
  <h3 data-i18n="diff_title">What changes against the candidate pack</h3>
  <div id="diff" class="wide"></div>
  <div class="save-grid">
    <div class="field">
      <label for="save-version" data-i18n="version">New version</label>
      <input type="text" id="save-version" aria-describedby="save-version-error">
      <span class="error" id="save-version-error" role="alert"></span>
    </div>
    <div class="field">
      <label for="save-effective" data-i18n="effective_from">In force from</label>
      <input type="date" id="save-effective">
    </div>
    <div class="field">
      <label for="save-approved" data-i18n="approved_by">Approved by (comma-separated)</label>
      <input type="text" id="save-approved" aria-describedby="save-approved-error">
      <span class="error" id="save-approved-error" role="alert"></span>
    </div>
    <div class="field wide-field">
      <label for="save-changelog" data-i18n="changelog">Changelog entry: what changes and
        why</label>
      <textarea id="save-changelog" rows="3" aria-describedby="save-changelog-error"></textarea>
      <span class="error" id="save-changelog-error" role="alert"></span>
    </div>
  </div>
  <button type="button" id="save-button" class="primary" data-i18n="save_button">Save new
    version</button>
  <p id="save-result" role="status" aria-live="polite"></p>
</section>
</main>
<div id="tooltip" role="tooltip" hidden></div>
</body>
</html>
"""
