"""Generate a JavaScript (ES module, Node ≥ 18 / browsers: ``fetch``) client from the OpenAPI
document: ``python tests/service/gen_js_client.py docs/openapi.json > jxc_client.mjs``.

One method per operation, named by its ``operationId`` in camelCase (``reserve``,
``getStock``, ``convertBatch``...), taking one object: path, query and header parameters by
their OpenAPI names (``order_id``, ``"Idempotency-Key"``) and ``body``. A 2xx answer resolves to
``{status, headers, body}``; an error answer rejects with a ``Problem`` carrying the RFC 9457
fields (``status``, ``type``, ``detail``, ``field``, ``shortages``...). Exact values stay
strings: the client never turns them into JavaScript numbers.
"""

from __future__ import annotations

import json
import sys
from typing import Any

HEADER = """\
// Generated from the jxc-rules OpenAPI document (version %(version)s) by
// tests/service/gen_js_client.py. Do not edit: regenerate.

export class Problem extends Error {
  constructor(problem) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    Object.assign(this, problem);
  }
}

export class JxcClient {
  constructor(baseUrl, token) {
    this.baseUrl = baseUrl.replace(/\\/$/, "");
    this.token = token;
  }

  async _call(method, path, params, spec) {
    let url = path;
    const query = new URLSearchParams();
    const headers = { Accept: "application/json, application/problem+json" };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    for (const [name, where] of spec) {
      const value = params[name];
      if (value === undefined || value === null) continue;
      if (where === "path") url = url.replace(`{${name}}`, encodeURIComponent(String(value)));
      else if (where === "query") query.set(name, String(value));
      else if (where === "header") headers[name] = String(value);
    }
    const init = { method, headers };
    if (params.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(params.body);
    }
    const qs = query.toString();
    const response = await fetch(this.baseUrl + url + (qs ? `?${qs}` : ""), init);
    const type = response.headers.get("content-type") || "";
    const body = type.includes("json") ? await response.json() : await response.text();
    if (!response.ok) throw new Problem(typeof body === "object" ? body : {
      status: response.status, title: response.statusText, detail: String(body) });
    return { status: response.status, headers: Object.fromEntries(response.headers), body };
  }
"""


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


def generate(doc: dict[str, Any]) -> str:
    out = [HEADER % {"version": doc["info"]["version"]}]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            spec = [[p["name"], p["in"]] for p in op.get("parameters", [])]
            summary = op.get("summary", "").replace("*/", "")
            out.append(f"  /** {summary} */\n"
                       f"  {camel(op['operationId'])}(params = {{}}) {{\n"
                       f"    return this._call({json.dumps(method.upper())}, "
                       f"{json.dumps(path)}, params, {json.dumps(spec)});\n  }}\n")
    out.append("}\n")
    return "\n".join(out)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as fh:
        sys.stdout.write(generate(json.load(fh)))
