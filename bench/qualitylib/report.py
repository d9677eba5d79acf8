"""The harness's Markdown: one row per draft, the aggregates, and the comparison when given.

Cells are made safe for a table (pipes escaped, newlines flattened) because brief ids and codes are
ours but model output is not, and it is never put in the table: only counts and flags are.
"""

from __future__ import annotations

from typing import Any

DRAFT_COLUMNS = ("brief", "platform", "variant", "errors before→after", "language ok", "echo", "copy", "voice",
                 "length/limit", "first token ms", "total ms")
SUMMARY_KEYS = ("drafts", "briefs", "complete", "errors_before", "errors_after", "drafts_with_errors_after",
                "clean_rate_after", "repaired", "language_ok_rate", "prompt_echo", "copied_exemplar",
                "voice_scored", "voice_median", "mention_rate", "over_limit", "over_norm", "identical_variants",
                "first_token_ms.median", "first_token_ms.p90", "latency_ms.median", "latency_ms.p90",
                "prompt_tokens", "completion_tokens", "cost_usd")
GROUP_KEYS = ("drafts", "errors_before", "errors_after", "language_ok_rate", "voice_median", "over_norm",
              "latency_ms.median")


def cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):  # 33137.5 ms reads as 33138, a rate as 0.4286
        return f"{value:.0f}" if abs(value) >= 100 else f"{value:.4g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(header: tuple[str, ...] | list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _language(row: dict[str, Any]) -> str:
    if row["language_detected"] is None:
        return f"? ({row['language_asked']})"
    mark = "yes" if row["language_ok"] else "no"
    return f"{mark} ({row['language_detected']})"


def draft_row(row: dict[str, Any]) -> list[Any]:
    before, after = row["violations_before"]["errors"], row["violations_after"]["errors"]
    voice = row["voice"]["score"]
    length = f"{row['length']['count']}/{row['length']['limit']}"
    if row["length"]["norm"] is not None:
        length += f" (norm {row['length']['norm']})"
    errors = f"{before}→{after}" + ("" if row["complete"] else f" ({row['incomplete']})")
    return [row["brief_id"], row["platform"], row["variant"], errors, _language(row), row["prompt_echo"],
            row["copied_exemplar"], voice, length, row["first_token_ms"], row["latency_ms"]]


def _get(tree: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        tree = tree.get(part) if isinstance(tree, dict) else None
    return tree


def _groups(title: str, groups: dict[str, dict[str, Any]]) -> str:
    rows = [[name, *(_get(agg, k) for k in GROUP_KEYS)] for name, agg in groups.items()]
    return f"### {title}\n\n" + table([title.split()[-1], *GROUP_KEYS], rows)


def comparison(block: dict[str, Any]) -> str:
    changed = [e for e in block["aggregates"] if e["key"].startswith("overall.")
               and (e["delta"] is None and e["old"] != e["new"] or e["delta"])]
    was = block["against"]
    header = (f"Previous run: {cell(was.get('provider'))} / {cell(was.get('model'))}, {cell(was.get('date'))}, "
              f"commit {cell(was.get('git_commit'))}. Overall aggregates that changed (all of them in the JSON):")
    parts = ["## Comparison with the previous run", header,
             table(["aggregate (overall)", "old", "new", "delta"],
                   [[e["key"].removeprefix("overall."), e["old"], e["new"], e["delta"]] for e in changed])
             if changed else "No overall aggregate changed."]
    if block["drafts"]:
        parts.append(table(["draft", "errors before old→new", "errors after old→new"],
                           [[d["draft"], f"{cell(d['errors_before']['old'])}→{cell(d['errors_before']['new'])}",
                             f"{cell(d['errors_after']['old'])}→{cell(d['errors_after']['new'])}"]
                            for d in block["drafts"]]))
    else:
        parts.append("No draft changed its error counts.")
    return "\n\n".join(parts)


def markdown(run: dict[str, Any]) -> str:
    env = run["environment"]
    overall = run["aggregates"]["overall"]
    about = (f"{env['date']}, {env['machine_cores']} cores, embedding {env['embedding']}, "
             f"commit {cell(env.get('git_commit'))}, {overall['drafts']} drafts of {overall['briefs']} briefs.")
    parts = [f"# Draft quality: {env['provider']} / {env['model']}", about, "## Drafts", table(DRAFT_COLUMNS, [draft_row(r) for r in run["drafts"]]),
             "## Aggregates", table(["aggregate", "value"], [[k, _get(overall, k)] for k in SUMMARY_KEYS]),
             _groups("Per brand", run["aggregates"]["by_brand"]),
             _groups("Per platform", run["aggregates"]["by_platform"]),
             _groups("Per language", run["aggregates"]["by_language"])]
    if run.get("failures"):
        parts.append("## Failures\n\n" + table(["brief", "error"], [[f["brief_id"], f["error"]]
                                                                    for f in run["failures"]]))
    if run.get("comparison"):
        parts.append(comparison(run["comparison"]))
    return "\n\n".join(parts) + "\n"
