// jxc-rules studio: the committee's page. Plain modern JS, no build step, no network beyond
// its own origin. The simulations run as the service's jobs (/v1/jobs); /studio/api serves the
// form, the validation of edits (the pack's own validator), the diff and the saving.
"use strict";

const T = {
  en: {
    title: "Rule studio", lang_button: "中文", setup: "Scenario and packs", scenario: "Scenario",
    upload_scenario: "or upload a scenario (YAML)", upload_pack: "or upload a pack (YAML)",
    baseline: "Baseline pack (today's rules)",
    candidate: "Candidate pack (the proposal, edited below)",
    assumptions: "Assumptions of the candidate pack",
    assumptions_help: "Each field is one number of the pack; the baseline's value is shown beside it. The pack's own validator checks every change.",
    run: "Run", trials: "Trials", seed: "Seed", run_compare: "Run compare",
    sweeps: "Sweeps: one parameter, or a grid of two", sweep_param: "Parameter to sweep",
    sweep_values: "Values (v1,v2,… or start:stop:step)", run_sweep: "Run sweep",
    grid_param: "Second parameter (grid rows)", grid_values: "Its values", run_grid: "Run grid",
    blocked: "A field holds a value the pack does not accept: fix the fields marked in red to run.",
    progress: "Progress", cancel: "Cancel", results: "Results",
    download_report: "Download the full report (HTML)", save: "Save as a new pack version",
    diff_title: "What changes against the candidate pack", version: "New version",
    effective_from: "In force from", approved_by: "Approved by (comma-separated)",
    changelog: "Changelog entry: what changes and why", save_button: "Save new version",
    baseline_value: "baseline", uploaded: "uploaded", saved: "saved", no_changes: "No field changed yet.",
    path: "Field", old: "candidate", new: "edited", change: "change", review: "review",
    kpi: "KPI", diff: "difference (new − old)", ci: "95 % interval", verdict: "verdict",
    mean: "mean", running: "running", done: "done", starting: "starting the job…",
    interval_axis: "difference and its 95 % interval", shortfall: "Shortfall by item and day",
    sweep_title: "Sweep", grid_title: "Grid: candidate − baseline", kpi_select: "KPI",
    saved_to: "Saved", saved_diff: "Its diff against the candidate pack (with the version metadata):",
    yes: "yes", band: "band: p05–p95", grid_same: "the two parameters must differ",
    row: "point", at_point: "headline and table at the first point", chunks: "chunks of trials", failed: "failed", cancelled: "cancelled", other_field: "(pack)",
    effect: "effect", session_lost: "This page has no session: open the link `jxc-rules studio` printed, or restart it.",
  },
  zh: {
    title: "规则沙盘", lang_button: "English", setup: "场景与规则包", scenario: "场景",
    upload_scenario: "或上传场景（YAML）", upload_pack: "或上传规则包（YAML）",
    baseline: "基准规则包（现行规则）", candidate: "候选规则包（提案，在下方修改）",
    assumptions: "候选规则包的假设",
    assumptions_help: "每个输入框是规则包中的一个数值，旁边显示基准包的值；每次修改都由规则包自身的校验器检查。",
    run: "运行", trials: "试验次数", seed: "随机种子", run_compare: "运行对比",
    sweeps: "参数扫描：单参数或双参数网格", sweep_param: "扫描参数", sweep_values: "取值（v1,v2,… 或 起:止:步长）",
    run_sweep: "运行扫描", grid_param: "第二个参数（网格行）", grid_values: "其取值", run_grid: "运行网格",
    blocked: "有字段的值不被规则包接受：请先修正标红的字段再运行。", progress: "进度", cancel: "取消",
    results: "结果", download_report: "下载完整报告（HTML）", save: "另存为新版本规则包",
    diff_title: "相对候选规则包的改动", version: "新版本号", effective_from: "生效日期",
    approved_by: "批准人（逗号分隔）", changelog: "变更说明：改了什么、为什么", save_button: "保存新版本",
    baseline_value: "基准", uploaded: "已上传", saved: "已保存", no_changes: "尚未修改任何字段。",
    path: "字段", old: "候选", new: "修改后", change: "变化", review: "需审议",
    kpi: "指标", diff: "差异（新 − 旧）", ci: "95% 区间", verdict: "结论", mean: "均值",
    running: "运行中", done: "完成", starting: "正在启动任务…", interval_axis: "差异及其 95% 区间",
    shortfall: "按品项和日期的缺货与损耗", sweep_title: "扫描", grid_title: "网格：候选 − 基准",
    kpi_select: "指标", saved_to: "已保存", saved_diff: "与候选规则包的差异（含版本信息）：", yes: "是",
    at_point: "标题句与表格对应第一个取值点", chunks: "批试验", band: "区间：p05–p95", grid_same: "两个参数必须不同", row: "取值", failed: "失败",
    cancelled: "已取消", other_field: "（规则包）", effect: "效应",
    session_lost: "此页面没有会话：请打开 `jxc-rules studio` 打印的链接，或重新启动。",
  },
};
const VERDICT_ZH = {"better": "改善", "worse": "变差", "no material change": "无实质变化",
  "no detectable change": "无可检测变化", "higher": "升高", "lower": "降低"};

const S = {
  lang: "en", token: null, catalog: null, scenario: null, candidate: null, baseline: null,
  uploads: {}, running: new Set(), fields: [], edits: {}, check: null, checkSeq: 0, job: null, lastResult: null,
  lastReport: null, lastKind: null, sweep: null, grid: null, lastRun: null,
};
window.__studio = S;

const $ = (id) => document.getElementById(id);
const t = (key) => (T[S.lang][key] ?? T.en[key] ?? key);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
const kpiInfo = (name) => (S.catalog?.kpis || []).find((k) => k.name === name) || {name, en: name, zh: name, better: 0, unit: "share"};
const kpiName = (name) => kpiInfo(name)[S.lang] || name;

function fmt(kpi, v, {signed = false, diff = false} = {}) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  const unit = kpiInfo(kpi).unit;
  const sign = signed && v > 0 ? "+" : "";
  let text;
  if (unit === "yuan") text = `${sign}${Math.round(v).toLocaleString("en-US")} 元`;
  else if (unit === "days") text = `${sign}${v.toFixed(2)} ${S.lang === "zh" ? "天" : "d"}`;
  else text = diff ? `${sign}${(v * 100).toFixed(1)} pp` : `${sign}${(v * 100).toFixed(1)} %`;
  return text.replace("-", "−");
}

// ---------------------------------------------------------------- HTTP
async function api(method, path, body) {
  const headers = {"Accept": "application/json"};
  if (S.token) headers["Authorization"] = `Bearer ${S.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = text; }
  if (!r.ok) {
    const err = new Error((data && data.detail) || `${r.status}`);
    err.problem = data; err.status = r.status;
    throw err;
  }
  return data;
}

async function session() {
  const m = /(?:^#|&)launch=([^&]+)/.exec(location.hash);
  if (m) {
    history.replaceState(null, "", location.pathname);  // the code leaves the address bar
    try {
      const r = await api("POST", "/studio/session", {code: decodeURIComponent(m[1])});
      sessionStorage.setItem("jxc-studio-token", r.token);
    } catch (e) { /* used already: a stored token may still serve */ }
  }
  S.token = sessionStorage.getItem("jxc-studio-token");
  if (!S.token) { $("session-error").textContent = t("session_lost"); $("session-error").hidden = false; }
}

// ---------------------------------------------------------------- language
function applyLang() {
  document.documentElement.lang = S.lang === "zh" ? "zh-CN" : "en";
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  $("lang").setAttribute("aria-pressed", S.lang === "zh" ? "true" : "false");
  document.title = `${t("title")} · jxc-rules`;
  if (S.fields.length) renderForm();
  fillSweepParams();
  renderDiff();
  renderResults();
  renderShortfall();
}

// ---------------------------------------------------------------- setup
function option(value, text) { const o = document.createElement("option"); o.value = value; o.textContent = text; return o; }

function fillScenarios() {
  const sel = $("scenario");
  sel.replaceChildren();
  for (const name of S.catalog.scenarios) sel.append(option(`name:${name}`, name));
  const up = S.uploads["upload:scenario"];
  if (up) sel.append(option("upload:scenario", `${up.file} (${t("uploaded")})`));
  const start = S.catalog.start || "hotpot-spring-festival-2027";
  if (S.catalog.scenarios.includes(start)) sel.value = `name:${start}`;
}

function fillPacks(industry, defaults) {
  // the scenario's industry; a scenario that names no pack offers every bundled one
  const industries = industry ? [industry] : Object.keys(S.catalog.packs);
  for (const role of ["baseline", "candidate"]) {
    const sel = $(role);
    const keep = sel.value;
    sel.replaceChildren();
    for (const ind of industries) for (const v of (S.catalog.packs[ind] || [])) sel.append(option(`name:${ind}@${v}`, `${ind} ${v}`));
    for (const f of S.catalog.saved.filter((f) => industries.some((ind) => f.startsWith(`${ind}/`)))) sel.append(option(`saved:${f}`, `${f} (${t("saved")})`));
    for (const [key, up] of Object.entries(S.uploads)) if (key.startsWith("pack:")) sel.append(option(key, `${up.file} (${t("uploaded")})`));
    const given = defaults && defaults[role];
    const want = given ? (given.name ? `name:${given.name}` : given.key) : keep;
    if ([...sel.options].some((o) => o.value === want)) sel.value = want;
    else if (role === "candidate" && sel.options.length) sel.selectedIndex = sel.options.length - 1;
  }
}

function refOf(value) {
  const [kind, rest] = [value.slice(0, value.indexOf(":")), value.slice(value.indexOf(":") + 1)];
  if (kind === "name") return {name: rest};
  if (kind === "saved") return {saved: rest};
  return {yaml: S.uploads[value].text};
}

function showError(id, e) { $(id).textContent = e ? (e.problem?.detail || e.message) : ""; }

async function loadScenario() {
  showError("scenario-error", null);
  const v = $("scenario").value;
  const ref = v.startsWith("upload:") ? {yaml: S.uploads[v].text} : {name: v.slice(5)};
  try {
    S.scenario = await api("POST", "/studio/api/scenario", ref);
  } catch (e) { showError("scenario-error", e); S.scenario = null; updateBlocked(); return; }
  $("scenario-desc").textContent = `${S.scenario.horizon[0]} – ${S.scenario.horizon[1]} · ${S.scenario.days} d · ${S.scenario.description}`;
  const defaults = {};
  for (const [role, ref] of Object.entries(S.scenario.packs || {})) {
    if (ref.yaml) {  // a pack file next to the scenario file: offered like an upload
      const key = `pack:${S.scenario.name}:${role}`;
      S.uploads[key] = {file: `${S.scenario.name} · ${role}`, text: ref.yaml};
      defaults[role] = {key};
    } else defaults[role] = ref;
  }
  fillPacks(S.scenario.industry, defaults);
  await loadPacks();
}

async function loadPacks() {
  for (const role of ["baseline", "candidate"]) showError(`${role}-error`, null);
  let form;
  try {
    form = await api("POST", "/studio/api/pack", {candidate: refOf($("candidate").value), baseline: refOf($("baseline").value)});
  } catch (e) {
    const role = (e.problem?.field || "").startsWith("baseline") ? "baseline" : "candidate";
    showError(`${role}-error`, e); S.candidate = null; S.fields = []; renderForm(); updateBlocked(); return;
  }
  // the edits stay while the candidate stays (a new baseline only changes the hints)
  const same = S.candidateValue === $("candidate").value;
  S.candidateValue = $("candidate").value;
  S.candidate = form; S.fields = form.fields;
  if (!same) { S.edits = {}; S.check = null; }
  try {
    const base = await api("POST", "/studio/api/pack", {candidate: refOf($("baseline").value)});
    S.baseline = base;
  } catch (e) { showError("baseline-error", e); S.baseline = null; }
  $("save-version").value = form.suggested_version;
  if (!$("save-effective").value) $("save-effective").value = new Date().toISOString().slice(0, 10);
  renderForm(); fillSweepParams(); renderDiff(); updateBlocked();
  if (same && Object.keys(S.edits).length) await runCheck();
}

async function readUpload(input, key) {
  const file = input.files && input.files[0];
  if (!file) return null;
  const text = await file.text();
  S.uploads[key] = {file: file.name, text};
  return key;
}

// ---------------------------------------------------------------- the form
function fieldValue(f) { return S.edits[f.path] ?? (f.value === null ? "" : String(f.value)); }

function renderForm() {
  const root = $("groups");
  const open = new Set([...root.querySelectorAll("details[open]")].map((d) => d.dataset.group));
  if (!root.children.length) open.add("holidays");
  root.replaceChildren();
  let n = 0;
  for (const [gid, names] of Object.entries(S.catalog.groups)) {
    const fields = S.fields.filter((f) => f.group === gid);
    if (!fields.length) continue;
    const det = document.createElement("details");
    det.className = "group"; det.dataset.group = gid; if (open.has(gid)) det.open = true;
    const sum = document.createElement("summary");
    sum.textContent = `${names[S.lang]} (${fields.length})`;
    det.append(sum);
    let sub = null, subKey = null;
    for (const f of fields) {
      const key = f.section.en;
      if (key !== subKey) {
        sub = document.createElement("div"); sub.className = "subgroup";
        const h = document.createElement("h4"); h.textContent = f.section[S.lang];
        const grid = document.createElement("div"); grid.className = "fields";
        sub.append(h, grid); det.append(sub); subKey = key;
      }
      n += 1;
      const id = `f-${n}`;
      const wrap = document.createElement("div"); wrap.className = "field";
      const label = document.createElement("label"); label.htmlFor = id;
      label.textContent = f.label[S.lang];
      label.title = f.path;
      const input = document.createElement("input");
      input.id = id; input.type = "text"; input.dataset.path = f.path;
      input.setAttribute("aria-label", `${f.section[S.lang]} · ${f.label[S.lang]}`);
      if (f.kind === "number") input.inputMode = "decimal";
      input.value = fieldValue(f);
      if (f.path in S.edits) input.classList.add("edited");
      const hint = document.createElement("span"); hint.className = "hint"; hint.id = `${id}-hint`;
      if (f.baseline !== null && f.baseline !== undefined) {
        hint.textContent = `${t("baseline_value")}: ${f.baseline}`;
        if (String(f.baseline) !== String(f.value)) hint.classList.add("differs");  // the proposal's own change
      }
      const err = document.createElement("span"); err.className = "error"; err.id = `${id}-error`;
      err.setAttribute("aria-live", "polite");
      err.dataset.path = f.path;
      input.setAttribute("aria-describedby", `${id}-hint ${id}-error`);
      input.addEventListener("input", () => onEdit(f, input));
      wrap.append(label, input, hint, err);
      sub.querySelector(".fields").append(wrap);
    }
    root.append(det);
  }
  showFieldErrors();
}

let editTimer = null;
function onEdit(f, input) {
  const orig = f.value === null ? "" : String(f.value);
  if (input.value === orig) delete S.edits[f.path]; else S.edits[f.path] = input.value;
  input.classList.toggle("edited", f.path in S.edits);
  S.check = {pending: true, ok: false, errors: [], diff: []};
  updateBlocked();
  clearTimeout(editTimer);
  editTimer = setTimeout(runCheck, 200);
}

async function runCheck() {
  const seq = ++S.checkSeq;
  try {
    const r = await api("POST", "/studio/api/check", {candidate: refOf($("candidate").value), edits: S.edits});
    if (seq !== S.checkSeq) return;
    S.check = r;
  } catch (e) {
    if (seq !== S.checkSeq) return;
    S.check = {ok: false, errors: [{field: e.problem?.field || "", message: e.problem?.detail || e.message}], diff: []};
  }
  showFieldErrors(); renderDiff(); updateBlocked();
}

function showFieldErrors() {
  const errors = (S.check && S.check.errors) || [];
  const inputs = [...document.querySelectorAll("#groups input[data-path]")];
  for (const input of inputs) { input.removeAttribute("aria-invalid"); $(`${input.id}-error`).textContent = ""; }
  const loose = [];
  for (const e of errors) {
    // the validator's field path is the form field's path; a section-wide error (a sum of
    // shares) goes to the first field of that section
    let input = inputs.find((i) => i.dataset.path === e.field) ||
      inputs.find((i) => e.field && i.dataset.path.startsWith(`${e.field}.`)) ||
      inputs.find((i) => e.field && i.dataset.path.startsWith(`${e.field}[`));
    if (!input) { loose.push(e.message); continue; }
    input.setAttribute("aria-invalid", "true");
    const span = $(`${input.id}-error`);
    span.textContent = span.textContent ? `${span.textContent} ${e.message}` : e.message;
    const det = input.closest("details"); if (det) det.open = true;
  }
  $("form-errors").hidden = !loose.length;
  $("form-errors").textContent = loose.join(" · ");
}

function blocked() {
  return !S.token || !S.scenario || !S.candidate || !S.baseline || (S.check && (S.check.pending || !S.check.ok)) || S.job !== null;
}

function updateBlocked() {
  const invalid = !!(S.check && !S.check.pending && !S.check.ok);
  $("blocked").hidden = !invalid;
  for (const id of ["run-compare", "run-sweep", "run-grid", "save-button"]) $(id).disabled = blocked();
  $("save-button").disabled = blocked() || !Object.keys(S.edits).length;
}

function fillSweepParams() {
  const numeric = S.fields.filter((f) => f.kind === "number");
  const world = (S.scenario && S.scenario.world_params) || [];
  for (const id of ["sweep-param", "grid-param"]) {
    const sel = $(id); const keep = sel.value;
    sel.replaceChildren();
    const pack = document.createElement("optgroup");
    pack.label = S.lang === "zh" ? "候选规则包的字段" : "a field of the candidate pack";
    for (const f of numeric) pack.append(option(`pack:${f.path}`, `${f.section[S.lang]} · ${f.label[S.lang]}`));
    sel.append(pack);
    if (id === "sweep-param" && world.length) {
      const w = document.createElement("optgroup");
      w.label = S.lang === "zh" ? "真实世界（场景）" : "the true world (scenario)";
      for (const p of world) w.append(option(`world:${p.param}`, p.label[S.lang]));
      sel.append(w);
    }
    const want = keep || (id === "sweep-param" ? "pack:replenishment.safety_days" : "pack:holidays.Spring Festival.dine_in.during[3]");
    if ([...sel.options].some((o) => o.value === want)) sel.value = want;
  }
}

// ---------------------------------------------------------------- diff
function renderDiff() {
  const box = $("diff");
  const changes = (S.check && S.check.diff) || [];
  if (!changes.length) { box.innerHTML = `<p class="muted">${esc(t("no_changes"))}</p>`; return; }
  let h = `<table><tr><th>${esc(t("path"))}</th><th>${esc(t("old"))}</th><th>${esc(t("new"))}</th><th>${esc(t("change"))}</th><th>${esc(t("review"))}</th></tr>`;
  for (const c of changes) {
    const rel = c.relative === null ? "–" : `${c.relative > 0 ? "+" : ""}${(100 * c.relative).toFixed(1)} %${c.basis === "effect" ? ` (${t("effect")})` : ""}`;
    h += `<tr><td class="text">${esc(c.label)}</td><td>${esc(c.old ?? "–")}</td><td>${esc(c.new ?? "–")}</td><td>${esc(rel)}</td><td>${c.review ? esc(t("yes")) : ""}</td></tr>`;
  }
  box.innerHTML = h + "</table>";
}

// ---------------------------------------------------------------- jobs
function candidateRef(extra) {
  if (!extra && !Object.keys(S.edits).length) return S.candidate.job_ref;
  if (!extra) return {yaml: S.check.yaml};
  return extra;
}

function setProgress(done, total, label) {
  $("progress").value = total ? Math.round((100 * done) / total) : 0;
  $("progress-text").textContent = label;
}

async function waitJob(id, onProgress) {
  // polled, not the service's SSE stream: a stream open longer than the service's body
  // timeout is cut off with 408 (see docs/studio.md); a poll every 60 ms is as prompt
  let view = await api("GET", `/v1/jobs/${id}`);
  onProgress(view);
  while (view.status === "running") {
    await new Promise((res) => setTimeout(res, 60));
    view = await api("GET", `/v1/jobs/${id}`);
    onProgress(view);
  }
  return view;
}

async function runJob(body, step) {
  if (S.cancelled) throw new Error(t("cancelled"));
  const job = await api("POST", "/v1/jobs", body);
  S.running.add(job.id); $("cancel").hidden = false;
  let view;
  try { view = await waitJob(job.id, (v) => step(v.progress.chunks_done, v.progress.chunks)); }
  finally { S.running.delete(job.id); }
  if (view.status !== "done") {
    const err = new Error(view.problem?.detail || t(view.status));
    err.problem = view.problem; throw err;
  }
  return job.id;
}

function jobBody(packs, sweep) {
  const body = {scenario: S.scenario.job_ref, packs, trials: Number($("trials").value) || 1000, seed: Number($("seed").value) || 0};
  if (sweep) body.sweep = sweep;
  return body;
}

async function guarded(kind, work) {
  if (blocked()) return;
  S.lastRun = {kind, clicked: performance.now(), firstResult: null};
  S.cancelled = false;
  $("run-error").hidden = true;
  S.job = "starting"; updateBlocked();
  S.lastReport = null; renderShortfall();  // the last run's heat maps are not this run's
  document.body.dataset.run = "running";
  setProgress(0, 1, t("starting"));
  try { await work(); document.body.dataset.run = "done"; }
  catch (e) {
    document.body.dataset.run = "failed";
    $("run-error").textContent = e.problem?.detail || e.message; $("run-error").hidden = false;
    setProgress(0, 1, t("failed"));
  } finally { S.job = null; $("cancel").hidden = true; updateBlocked(); }
}

async function fetchResult(id) {
  const result = await api("GET", `/v1/jobs/${id}/result`);
  result.headlines = {en: result.headline, zh: null};
  return result;
}

async function addHeadlines(result) {
  // the zh sentence (and the en one, from the same library function) for the language toggle
  try {
    result.headlines = await api("POST", "/studio/api/headline", {results: result.results, compare: result.compare || null});
  } catch (e) { result.headlines = {en: result.headline, zh: result.headline}; }
  if (result === S.lastResult) renderResults();
}

async function fetchReport(id) {
  const r = await fetch(`/v1/jobs/${id}/report.html`, {headers: {"Authorization": `Bearer ${S.token}`}});
  return r.ok ? r.text() : null;
}

function runCompare() {
  return guarded("compare", async () => {
    const id = await runJob(jobBody([S.baselineRef(), candidateRef()]), (d, n) => setProgress(d, n, `${t("running")} ${d}/${n} · ${t("chunks")}`));
    const result = await fetchResult(id);
    S.lastResult = result; S.lastKind = "compare"; S.sweep = null; S.grid = null;
    renderResults();
    S.lastRun.firstResult = performance.now();
    setProgress(1, 1, t("done"));
    await addHeadlines(result);
    S.lastReport = await fetchReport(id);
    renderShortfall();
  });
}

function sweepTarget(value) {
  // "pack:<field>" sweeps the candidate's field (one compare job per value, the pack rebuilt
  // and validated by /studio/api/check); "world:<param>" the scenario's true world (the
  // service's own sweep, one job)
  const [kind, path] = [value.slice(0, value.indexOf(":")), value.slice(value.indexOf(":") + 1)];
  return kind === "pack" ? {kind, path, param: `candidate.${path}`} : {kind, path, param: path};
}

async function sweepValues(target, text, errId) {
  showError(errId, null);
  try { return await api("POST", "/studio/api/sweep", {param: target.param, values: text}); }
  catch (e) { showError(errId, e); throw e; }
}

async function pool(tasks, limit) {
  // at most `limit` jobs at once (the service's max_jobs); a 429 waits and retries
  const out = new Array(tasks.length); let next = 0;
  async function worker() {
    while (next < tasks.length) {
      const k = next++;
      for (;;) {
        try { out[k] = await tasks[k](); break; }
        catch (e) { if (e.status === 429) { await new Promise((r) => setTimeout(r, 300)); continue; } throw e; }
      }
    }
  }
  await Promise.all(Array.from({length: Math.min(limit, tasks.length)}, worker));
  return out;
}

async function candidateYaml(edits, errId) {
  const checked = await api("POST", "/studio/api/check", {candidate: refOf($("candidate").value), edits});
  if (!checked.ok) {
    const msg = checked.errors.map((e) => e.message).join(" · ");
    showError(errId, {message: msg}); throw new Error(msg);
  }
  return {yaml: checked.yaml};
}

function progressTracker(total) {
  const parts = new Array(total).fill(0);
  return (k) => (d, n) => {
    parts[k] = n ? d / n : 0;
    const sum = parts.reduce((a, b) => a + b, 0);
    setProgress(sum, total, `${t("running")} ${Math.floor(sum + 1e-9)}/${total}`);
  };
}

async function packSweep(target, values, baseEdits, errId, step) {
  // one compare per value on the same seed: common random numbers, as the library's sweep
  const refs = [];
  for (const v of values) refs.push(await candidateYaml({...baseEdits, [target.path]: String(v)}, errId));
  const results = await pool(refs.map((ref, k) => async () => {
    const id = await runJob(jobBody([S.baselineRef(), ref]), step(k));
    return fetchResult(id);
  }), 2);
  const rules = results[0].results.map((r) => r.rules);
  return {results, sweep: {param: [target.param], axes: [values], rules,
    kpis: Object.fromEntries(rules.map((r, i) => [r, results.map((x) => x.results[i].kpis)])),
    differences: results.map((x) => x.compare || {}), thresholds: S.scenario.thresholds || {}}};
}

function runSweep() {
  return guarded("sweep", async () => {
    const target = sweepTarget($("sweep-param").value);
    const sw = await sweepValues(target, $("sweep-values").value, "sweep-error");
    let result, report = null;
    if (target.kind === "world") {
      const id = await runJob(jobBody([S.baselineRef(), candidateRef()], {param: sw.param, values: sw.values}), progressTracker(1)(0));
      result = await fetchResult(id); report = id;
    } else {
      const got = await packSweep(target, sw.values, S.edits, "sweep-error", progressTracker(sw.values.length));
      result = {...got.results[0], sweep: got.sweep};
    }
    S.lastResult = result; S.lastKind = "sweep"; S.sweep = {result, label: sw.label, kind: target.kind}; S.grid = null;
    renderResults();
    S.lastRun.firstResult = performance.now();
    setProgress(1, 1, t("done"));
    await addHeadlines(result);
    if (report) { S.lastReport = await fetchReport(report); renderShortfall(); }
  });
}

function runGrid() {
  return guarded("grid", async () => {
    const col = sweepTarget($("sweep-param").value), row = sweepTarget($("grid-param").value);
    if (col.param === row.param) { showError("grid-error", {message: t("grid_same")}); throw new Error(t("grid_same")); }
    const cols = await sweepValues(col, $("sweep-values").value, "sweep-error");
    const rows = await sweepValues(row, $("grid-values").value, "grid-error");
    S.grid = {rows: rows.values, cols: cols.values, rowLabel: rows.label, colLabel: cols.label, colKind: col.kind, results: []};
    S.lastKind = "grid"; S.sweep = null;
    const perRow = col.kind === "world" ? 1 : cols.values.length;
    const step = progressTracker(rows.values.length * perRow);
    for (let i = 0; i < rows.values.length; i++) {
      // a row: the candidate with the row's value, swept over the columns (the same seed
      // everywhere, so every point shares its random draws)
      const edits = {...S.edits, [row.path]: String(rows.values[i])};
      let result;
      if (col.kind === "world") {
        const ref = await candidateYaml(edits, "grid-error");
        result = await fetchResult(await runJob(jobBody([S.baselineRef(), ref], {param: cols.param, values: cols.values}), step(i)));
      } else {
        const got = await packSweep(col, cols.values, edits, "grid-error", (k) => step(i * perRow + k));
        result = {...got.results[0], sweep: got.sweep};
      }
      S.grid.results.push(result);
      if (i === 0) { S.lastResult = result; renderResults(); S.lastRun.firstResult = performance.now(); await addHeadlines(result); }
      renderResults();
    }
    setProgress(1, 1, t("done"));
  });
}

// ---------------------------------------------------------------- results
function verdictText(v) { return S.lang === "zh" ? (VERDICT_ZH[v] || v) : v; }
function verdictClass(kpi, v) { return kpiInfo(kpi).better === 0 ? "" : (v === "better" ? "better" : v === "worse" ? "worse" : ""); }

function intervalSvg(kpi, d, lo, hi) {
  const w = 220, h = 26, pad = 8;
  const x = (v) => Math.max(pad, Math.min(w - pad, pad + ((v - lo) / (hi - lo || 1)) * (w - 2 * pad)));
  const tip = `${kpiName(kpi)}: ${fmt(kpi, d.mean, {signed: true, diff: true})} [${fmt(kpi, d.low, {signed: true, diff: true})}, ${fmt(kpi, d.high, {signed: true, diff: true})}]`;
  return `<svg width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${esc(tip)}">` +
    `<line x1="${x(0)}" x2="${x(0)}" y1="2" y2="${h - 2}" stroke="#999" stroke-dasharray="3,2"/>` +
    `<line x1="${x(d.low)}" x2="${x(d.high)}" y1="${h / 2}" y2="${h / 2}" stroke="#1f5fa8" stroke-width="3"><title>${esc(tip)}</title></line>` +
    `<circle cx="${x(d.mean)}" cy="${h / 2}" r="5" fill="#1f5fa8"><title>${esc(tip)}</title></circle></svg>`;
}

function renderKpiTable(result) {
  const [base, cand] = result.results;
  const cmp = result.compare || {};
  const names = Object.keys(base.kpis);
  let h = `<table><tr><th>${esc(t("kpi"))}</th><th>${esc(base.rules)} ${esc(t("mean"))}</th>`;
  if (cand) h += `<th>${esc(cand.rules)} ${esc(t("mean"))}</th>`;
  if (result.compare) h += `<th>${esc(t("diff"))}</th><th>${esc(t("ci"))}</th><th>${esc(t("interval_axis"))}</th><th>${esc(t("verdict"))}</th>`;
  h += "</tr>";
  for (const k of names) {
    h += `<tr><td>${esc(kpiName(k))}</td><td>${esc(fmt(k, base.kpis[k].mean))}</td>`;
    if (cand) h += `<td>${esc(fmt(k, cand.kpis[k].mean))}</td>`;
    const d = cmp[k];
    if (d) {
      const span = Math.max(Math.abs(d.low ?? 0), Math.abs(d.high ?? 0), 1e-6) * 1.15;
      h += `<td>${esc(fmt(k, d.mean, {signed: true, diff: true}))}</td><td>${esc(fmt(k, d.low, {signed: true, diff: true}))} … ${esc(fmt(k, d.high, {signed: true, diff: true}))}</td>` +
        `<td>${d.low === null ? "–" : intervalSvg(k, d, -span, span)}</td><td class="${verdictClass(k, d.verdict)}">${esc(verdictText(d.verdict))}</td>`;
    }
    h += "</tr>";
  }
  return h + "</table>";
}

function kpiSelect(id, value) {
  const names = (S.catalog.kpis || []).map((k) => k.name);
  return `<span class="field"><label for="${id}">${esc(t("kpi_select"))}</label><select id="${id}">` +
    names.map((n) => `<option value="${n}"${n === value ? " selected" : ""}>${esc(kpiName(n))}</option>`).join("") + "</select></span>";
}

function lineChart(sweep, kpi, xTitle) {
  const xs = sweep.axes[0];
  const w = 560, h = 260, L = 70, R = 16, Tp = 14, B = 44;
  const series = sweep.rules.map((r) => sweep.kpis[r].map((p) => p[kpi]));
  const all = series.flat().flatMap((s) => [s.p05, s.p95, s.mean]).filter((v) => v !== null && Number.isFinite(v));
  let lo = Math.min(...all), hi = Math.max(...all);
  if (lo === hi) { lo -= 1e-3; hi += 1e-3; }
  const x0 = Math.min(...xs), x1 = Math.max(...xs);
  const px = (v) => L + ((v - x0) / (x1 - x0 || 1)) * (w - L - R);
  const py = (v) => Tp + (1 - (v - lo) / (hi - lo)) * (h - Tp - B);
  const colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];
  let s = `<svg width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${esc(kpiName(kpi))}">`;
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    s += `<line x1="${L}" x2="${w - R}" y1="${py(v)}" y2="${py(v)}" stroke="#eee"/><text x="${L - 6}" y="${py(v) + 4}" font-size="11" text-anchor="end">${esc(fmt(kpi, v))}</text>`;
  }
  for (const v of xs) s += `<text x="${px(v)}" y="${h - B + 16}" font-size="11" text-anchor="middle">${esc(v)}</text>`;
  if (xTitle) s += `<text x="${(L + w - R) / 2}" y="${h - 8}" font-size="11.5" text-anchor="middle">${esc(xTitle)}</text>`;
  series.forEach((pts, r) => {
    const c = colors[r % colors.length];
    const band = pts.map((p, i) => `${px(xs[i])},${py(p.p95)}`).concat(pts.map((p, i) => `${px(xs[i])},${py(p.p05)}`).reverse());
    s += `<polygon points="${band.join(" ")}" fill="${c}" opacity="0.12"/>`;
    s += `<polyline points="${pts.map((p, i) => `${px(xs[i])},${py(p.mean)}`).join(" ")}" fill="none" stroke="${c}" stroke-width="2"/>`;
    pts.forEach((p, i) => {
      const tip = `${sweep.rules[r]} · ${xs[i]}: ${fmt(kpi, p.mean)} (p05 ${fmt(kpi, p.p05)}, p95 ${fmt(kpi, p.p95)})`;
      s += `<circle cx="${px(xs[i])}" cy="${py(p.mean)}" r="5" fill="${c}" tabindex="0" aria-label="${esc(tip)}"><title>${esc(tip)}</title></circle>`;
    });
  });
  const lim = sweep.thresholds?.[kpi];
  if (lim !== undefined && lim >= lo && lim <= hi) s += `<line x1="${L}" x2="${w - R}" y1="${py(lim)}" y2="${py(lim)}" stroke="#f0ad00" stroke-dasharray="5,3"><title>${esc(fmt(kpi, lim))}</title></line>`;
  s += "</svg>";
  const legend = sweep.rules.map((r, i) => `<span style="color:${colors[i % 4]}">■</span> ${esc(r)}`).join(" · ") + ` · ${esc(t("band"))}`;
  return s + `<p class="muted">${legend}</p>`;
}

function mix(a, b, f) {
  const p = (c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
  const [x, y] = [p(a), p(b)];
  return "#" + x.map((v, i) => Math.round(v + (y[i] - v) * f).toString(16).padStart(2, "0")).join("");
}

function gridChart(grid, kpi) {
  const cw = 74, ch = 30, L = 80, Tp = 10;
  const w = L + cw * grid.cols.length + 10, h = Tp + ch * grid.rows.length + 40;
  const better = kpiInfo(kpi).better;
  const vals = grid.results.flatMap((r) => (r.sweep.differences || []).map((d) => d[kpi]?.mean)).filter((v) => Number.isFinite(v));
  const m = Math.max(1e-12, ...vals.map(Math.abs));
  let s = `<svg width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${esc(kpiName(kpi))} grid">`;
  grid.rows.forEach((rv, i) => {
    s += `<text x="${L - 6}" y="${Tp + ch * i + ch / 2 + 4}" font-size="11" text-anchor="end">${esc(rv)}</text>`;
    const res = grid.results[i];
    grid.cols.forEach((cv, j) => {
      const d = res ? res.sweep.differences?.[j]?.[kpi] : null;
      const v = d ? d.mean : null;
      let color = "#f3f3f3";
      if (v !== null && Number.isFinite(v)) {
        const good = better === 0 ? null : (v * better > 0);
        const target = good === null ? "#5e3c99" : good ? "#1a9850" : "#d73027";
        color = mix("#ffffff", target, Math.min(1, Math.abs(v) / m));
      }
      const tip = `${grid.rowLabel[S.lang]} = ${rv}, ${grid.colLabel[S.lang]} = ${cv}: ${v === null ? "…" : fmt(kpi, v, {signed: true, diff: true})}`;
      s += `<rect x="${L + cw * j}" y="${Tp + ch * i}" width="${cw - 2}" height="${ch - 2}" fill="${color}" tabindex="0" aria-label="${esc(tip)}"><title>${esc(tip)}</title></rect>`;
      if (v !== null) s += `<text x="${L + cw * j + cw / 2}" y="${Tp + ch * i + ch / 2 + 4}" font-size="10.5" text-anchor="middle" pointer-events="none">${esc(fmt(kpi, v, {signed: true, diff: true}))}</text>`;
    });
  });
  grid.cols.forEach((cv, j) => { s += `<text x="${L + cw * j + cw / 2}" y="${Tp + ch * grid.rows.length + 16}" font-size="11" text-anchor="middle">${esc(cv)}</text>`; });
  return s + "</svg>" + `<p class="muted">↓ ${esc(grid.rowLabel[S.lang])} · → ${esc(grid.colLabel[S.lang])}</p>`;
}

let chartKpi = "stockout_rate";
function renderResults() {
  const r = S.lastResult;
  if (!r) return;
  document.body.dataset.result = S.lastKind;
  $("headline").textContent = (r.headlines && r.headlines[S.lang]) || r.headline || "";
  $("headline").lang = r.headlines && r.headlines[S.lang] ? (S.lang === "zh" ? "zh-CN" : "en") : "en";
  $("notes").innerHTML = (r.notes || []).map((n) => `<p class="note">${esc(n)}</p>`).join("");
  // a pack sweep's headline and table are its first point's; a true-world sweep's are the
  // scenario's own world (the job's compare), so they need no caption
  let caption = "";
  if (S.lastKind === "sweep" && S.sweep && S.sweep.kind === "pack") caption = `${S.sweep.label[S.lang]} = ${r.sweep.axes[0][0]}`;
  if (S.lastKind === "grid" && S.grid) caption = `${S.grid.rowLabel[S.lang]} = ${S.grid.rows[0]}` + (S.grid.colKind === "pack" ? `, ${S.grid.colLabel[S.lang]} = ${S.grid.cols[0]}` : "");
  $("kpi-table").innerHTML = (caption ? `<p class="muted">${esc(t("at_point"))}: ${esc(caption)}</p>` : "") + renderKpiTable(r);
  const box = $("sweep-result");
  if (S.lastKind === "sweep" && S.sweep) {
    box.innerHTML = `<h3>${esc(t("sweep_title"))}: ${esc(S.sweep.label[S.lang])}</h3><div class="chart-controls">${kpiSelect("sweep-kpi", chartKpi)}</div><div class="card">${lineChart(S.sweep.result.sweep, chartKpi, S.sweep.label[S.lang])}</div>`;
    $("sweep-kpi").addEventListener("change", (e) => { chartKpi = e.target.value; renderResults(); });
  } else if (S.lastKind === "grid" && S.grid) {
    box.innerHTML = `<h3>${esc(t("grid_title"))}</h3><div class="chart-controls">${kpiSelect("grid-kpi", chartKpi)}</div><div class="card">${gridChart(S.grid, chartKpi)}</div>`;
    $("grid-kpi").addEventListener("change", (e) => { chartKpi = e.target.value; renderResults(); });
  } else box.replaceChildren();
}

function renderShortfall() {
  const box = $("shortfall");
  $("download-report").hidden = !S.lastReport;
  if (!S.lastReport) { box.replaceChildren(); return; }
  // the report's own heat maps (items × days), taken from its HTML: SVG only, no scripts
  const doc = new DOMParser().parseFromString(S.lastReport, "text/html");
  const heading = [...doc.querySelectorAll("h2")].find((h) => h.textContent.trim() === S.catalog.report_headings.shortfall);
  const grid = heading && heading.nextElementSibling;
  box.replaceChildren();
  if (!grid) return;
  for (const bad of grid.querySelectorAll("script, foreignObject, iframe, object, embed")) bad.remove();
  for (const el of grid.querySelectorAll("*")) for (const a of [...el.attributes]) if (/^on/i.test(a.name) || /^(href|xlink:href|src)$/i.test(a.name)) el.removeAttribute(a.name);
  const h = document.createElement("h3"); h.textContent = t("shortfall");
  const g = document.createElement("div"); g.className = "grid";
  for (const card of grid.querySelectorAll(":scope > .card")) {
    const node = document.importNode(card, true);
    if (S.lang === "zh") {
      // headings (HTML, they wrap) and hover texts in Chinese; the drawn labels stay as sized
      for (const el of node.querySelectorAll("h4, title")) {
        let text = el.textContent;
        for (const [en, zh] of S.catalog.report_words || []) text = text.split(en).join(zh);
        el.textContent = text;
      }
    }
    g.append(node);
  }
  box.append(h, g);
}

// ---------------------------------------------------------------- tooltips (hover and tap)
function tooltips() {
  const tip = $("tooltip");
  const show = (ev) => {
    const el = ev.target.closest ? ev.target.closest("svg *") : null;
    const title = el && [...el.children].find((c) => c.tagName.toLowerCase() === "title");
    if (!title) { tip.hidden = true; return; }
    tip.textContent = title.textContent; tip.hidden = false;
    const x = ev.clientX ?? (el.getBoundingClientRect().left + 10), y = ev.clientY ?? el.getBoundingClientRect().top;
    tip.style.left = `${Math.min(window.innerWidth - 330, x + 12)}px`; tip.style.top = `${y + 14}px`;
  };
  $("results").addEventListener("mousemove", show);
  $("results").addEventListener("click", show);
  $("results").addEventListener("focusin", (ev) => show({target: ev.target, clientX: ev.target.getBoundingClientRect().left, clientY: ev.target.getBoundingClientRect().top}));
  $("results").addEventListener("mouseleave", () => { tip.hidden = true; });
}

// ---------------------------------------------------------------- save
async function save() {
  for (const id of ["save-version-error", "save-approved-error", "save-changelog-error"]) $(id).textContent = "";
  $("save-result").textContent = "";
  try {
    const r = await api("POST", "/studio/api/save", {
      candidate: refOf($("candidate").value), edits: S.edits, version: $("save-version").value,
      approved_by: $("save-approved").value, changelog: $("save-changelog").value,
      effective_from: $("save-effective").value || null});
    const lines = r.diff.map((c) => `${c.label}: ${c.old ?? "–"} → ${c.new ?? "–"}`);
    $("save-result").innerHTML = `<strong>${esc(t("saved_to"))}: <code id="saved-path">${esc(r.path)}</code></strong><br>${esc(t("saved_diff"))}<br>` + lines.map(esc).join("<br>");
    S.catalog = await api("GET", "/studio/api/catalog");
    fillPacks(S.scenario ? S.scenario.industry : null, null);  // the new version is offered
  } catch (e) {
    const field = e.problem?.field || "";
    const id = field === "approved_by" ? "save-approved-error" : field === "changelog" ? "save-changelog-error" : "save-version-error";
    $(id).textContent = e.problem?.detail || e.message;
  }
}

// ---------------------------------------------------------------- start
async function main() {
  S.baselineRef = () => (S.baseline ? S.baseline.job_ref : refOf($("baseline").value));
  await session();
  applyLang();
  if (!S.token) return;
  try { S.catalog = await api("GET", "/studio/api/catalog"); }
  catch (e) { $("session-error").textContent = e.problem?.detail || e.message; $("session-error").hidden = false; return; }
  fillScenarios();
  $("lang").addEventListener("click", () => { S.lang = S.lang === "en" ? "zh" : "en"; applyLang(); });
  $("scenario").addEventListener("change", loadScenario);
  $("baseline").addEventListener("change", loadPacks);
  $("candidate").addEventListener("change", loadPacks);
  $("scenario-file").addEventListener("change", async (e) => { if (await readUpload(e.target, "upload:scenario")) { fillScenarios(); $("scenario").value = "upload:scenario"; await loadScenario(); } });
  for (const role of ["baseline", "candidate"]) {
    $(`${role}-file`).addEventListener("change", async (e) => {
      const key = await readUpload(e.target, `pack:${role}:${e.target.files[0]?.name}`);
      if (!key) return;
      fillPacks(S.scenario?.industry, null); $(role).value = key; await loadPacks();
    });
  }
  $("run-compare").addEventListener("click", runCompare);
  $("run-sweep").addEventListener("click", runSweep);
  $("run-grid").addEventListener("click", runGrid);
  $("save-button").addEventListener("click", save);
  $("cancel").addEventListener("click", async () => {
    S.cancelled = true;  // no further job of a sweep or grid starts
    for (const id of [...S.running]) await api("POST", `/v1/jobs/${id}/cancel`).catch(() => null);
  });
  $("download-report").addEventListener("click", () => {
    const url = URL.createObjectURL(new Blob([S.lastReport], {type: "text/html"}));
    const a = document.createElement("a"); a.href = url; a.download = "jxc-studio-report.html"; a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });
  tooltips();
  await loadScenario();
  S.ready = true;
  document.body.dataset.ready = "true";
}

document.addEventListener("DOMContentLoaded", main);
