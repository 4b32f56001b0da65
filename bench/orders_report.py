"""The orders benchmark's figures: a flow's summary from the client's samples, the baseline
and pgbench ratios, the failures, and bench/results/orders.{json,md}."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common import RESULTS, summarize

if TYPE_CHECKING:
    from orders import Sample

FLOW_NAMES = {
    "direct": "direct (POST /api/orders/)",
    "cart": "cart (add lines, POST /api/checkout/)",
}


def _count(values: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))


def flow_summary(samples: list[Sample], wall: float) -> dict[str, Any]:
    """Orders/s counts the orders the 201s created, per wall-clock second of the flow; latency
    is per planned order (every request the client made for it) and per route."""
    calls = [call for sample in samples for call in sample.calls]
    created = [s for s in samples if s.status == 201]
    orders = sum(s.orders for s in created)
    routes: dict[str, dict[str, Any]] = {}
    for route in sorted({call.route for call in calls}):
        mine = [call for call in calls if call.route == route]
        routes[route] = {
            "requests": len(mine),
            "status": _count([str(call.status) for call in mine]),
            **summarize([call.seconds for call in mine]),
        }
    return {
        "orders_per_s": round(orders / wall, 1),
        "requests_per_s": round(len(calls) / wall, 1),
        "seconds": round(wall, 2),
        "planned": len(samples),
        "requests": len(calls),
        "status": _count([str(s.status) for s in samples]),
        "problem_codes": _count([f"{s.status} {s.code}" for s in samples if s.code]),
        "created": orders,
        "refused_409": sum(1 for s in samples if s.status == 409),
        "other_4xx": sum(1 for s in samples if 400 <= s.status < 500 and s.status != 409),
        "server_errors": sum(1 for call in calls if call.status >= 500),
        "transport_errors": sum(1 for call in calls if call.status == 0),
        "refused_cold": sum(1 for s in samples if not s.hot and s.status != 201),
        "created_hot": sum(s.orders for s in created if s.hot),
        "latency": {
            "all": summarize([s.seconds for s in samples]),
            "201": summarize([s.seconds for s in created]),
            "409": summarize([s.seconds for s in samples if s.status == 409]),
            "hot": summarize([s.seconds for s in samples if s.hot]),
            "cold": summarize([s.seconds for s in samples if not s.hot]),
        },
        "routes": routes,
    }


def _flows(rounds: list[dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (label, flow, result)
        for item in rounds
        for label, flows in item["results"].items()
        for flow, result in flows.items()
    ]


def failures_of(rounds: list[dict[str, Any]], sql: dict[str, Any], ledger: int) -> dict[str, int]:
    """Every check, summed over trees, rounds and flows (and pgbench); all must be 0."""
    flows = [result for _, _, result in _flows(rounds)]
    return {
        "http_5xx": sum(r["server_errors"] for r in flows),
        "http_transport_errors": sum(r["transport_errors"] for r in flows),
        "deadlocks": sum(r["deadlocks"] for r in flows) + sql["deadlocks"],
        "oversold_units": sum(r["stock"]["oversold_units"] for r in flows)
        + sql["stock"]["oversold_units"],
        "negative_stock": sum(r["stock"]["negative_stock"] for r in flows)
        + sql["stock"]["negative_stock"],
        "stock_mismatches": sum(r["stock"]["stock_mismatches"] for r in flows)
        + sql["stock"]["stock_mismatches"],
        "orders_not_matching_201s": sum(abs(r["stock"]["orders"] - r["created"]) for r in flows),
        "cold_orders_refused": sum(r["refused_cold"] for r in flows),
        "ledger_mismatches": sum(r["ledger_mismatches"] for r in flows) + ledger,
        "carts_left": sum(r["carts_left"] for r in flows),
        "pgbench_failed": sql["failed"],
    }


def _figures(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "orders_per_s": result["orders_per_s"],
        "p50_ms": result["latency"]["all"]["p50_ms"],
        "p95_ms": result["latency"]["all"]["p95_ms"],
        "cpu_ms_per_order": result["server"]["cpu_ms_per_order"],
        "worker_rss_mib": max(result["server"]["worker_rss_mib"], default=0),
    }


def _mean(values: list[float | None], digits: int = 2) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.fmean(present), digits) if present else None


def comparison(
    rounds: list[dict[str, Any]], labels: list[str], flows: list[str], sql: dict[str, Any]
) -> dict[str, Any]:
    """Means over rounds per tree and flow; with a baseline, current / baseline per round and
    their mean; the working tree's orders/s against pgbench's."""
    summary: dict[str, dict[str, Any]] = {}
    for label in labels:
        for flow in flows:
            per_round = [_figures(item["results"][label][flow]) for item in rounds]
            summary.setdefault(label, {})[flow] = {
                key: _mean([figures[key] for figures in per_round]) for key in per_round[0]
            }
    out: dict[str, Any] = {"summary": summary}
    if "baseline" in labels:
        ratios: dict[str, Any] = {}
        for flow in flows:
            per_round = []
            for item in rounds:
                now = _figures(item["results"]["current"][flow])
                then = _figures(item["results"]["baseline"][flow])
                per_round.append(
                    {
                        key: round(now[key] / then[key], 3) if then[key] else None
                        for key in ("orders_per_s", "p50_ms", "p95_ms", "cpu_ms_per_order")
                    }
                )
            ratios[flow] = {
                "per_round": per_round,
                "mean": {key: _mean([r[key] for r in per_round], 3) for key in per_round[0]},
            }
        out["baseline_ratio"] = ratios
    out["pgbench_ratio"] = {
        flow: round(summary["current"][flow]["orders_per_s"] / sql["orders_per_s"], 4)
        for flow in flows
        if sql["orders_per_s"]
    }
    return out


def write(data: dict[str, Any], directory: Path = RESULTS) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "orders.json").write_text(json.dumps(data, indent=2) + "\n")
    (directory / "orders.md").write_text(markdown(data))
    print(f"wrote {directory / 'orders.json'} and {directory / 'orders.md'}")


def _tree_line(data: dict[str, Any], label: str) -> str:
    tree = data["trees"][label]
    return f"{label}: {tree['ref']} ({tree['commit'][:10]}), database `{tree['database']}`"


def markdown(data: dict[str, Any]) -> str:
    s, sql, f = data["settings"], data["pgbench"], data["failures"]
    labels = list(data["trees"])
    lines = [
        "# Orders benchmark",
        "",
        f"Run {data['when']} on {data['machine']['cpus']} CPUs (PostgreSQL "
        f"{data['machine']['postgres']}); a plan of {s['orders']} orders ({s['hot_orders']} on "
        f"{s['hot_variants']} hot variants of one shop holding {s['hot_stock']} each, the rest "
        f"on {s['cold_variants']} cold variants with enough stock), 1-2 lines of 1-"
        f"{s['max_quantity']} units, from {s['clients']} concurrent clients, per flow and tree, "
        f"{s['rounds']} round(s). HTTP: gunicorn {s['gunicorn_workers']} workers x "
        f"{s['gunicorn_threads']} threads (a fresh server per flow), latency measured by the "
        "client per planned order (every request it made for the order). Idempotency-Key "
        f"sent: {'yes' if s['idempotency_key'] else 'no'}. "
        + (
            "The server connected through a transaction pooler (PgBouncer). "
            if s.get("pooler")
            else ""
        )
        + "Trees: "
        + "; ".join(_tree_line(data, label) for label in labels)
        + f". Same plan in every tree: {'yes' if data['same_plan'] else 'NO'}.",
        "",
        "## Per flow (mean over rounds)",
        "",
        "| tree | flow | orders/s | p50 ms | p95 ms | server CPU ms/order | worker RSS MiB (max) |",
        "|---|---|---|---|---|---|---|",
    ]
    for label in labels:
        for flow, figures in data["summary"][label].items():
            lines.append(
                f"| {label} | {FLOW_NAMES[flow]} | {figures['orders_per_s']} | "
                f"{figures['p50_ms']} | {figures['p95_ms']} | {figures['cpu_ms_per_order']} | "
                f"{figures['worker_rss_mib']} |"
            )
    lines += [
        f"| | pgbench (raw SQL, working tree's database) | {sql['orders_per_s']} | "
        f"{sql['latency']['p50_ms']} | {sql['latency']['p95_ms']} | | |",
        "",
        "HTTP / pgbench orders/s (working tree): "
        + ", ".join(f"{flow} **{ratio:.3f}**" for flow, ratio in data["pgbench_ratio"].items())
        + f" (pgbench: {sql['committed']} committed, {sql['rolled_back']} rolled back, "
        f"{sql['tps']} tps).",
        "",
    ]
    if "baseline_ratio" in data:
        lines += [
            "## Working tree / baseline",
            "",
            "Ratios current / baseline (orders/s above 1: faster; latency and CPU above 1: "
            "slower), per round and their mean:",
            "",
            "| flow | round | orders/s | p50 | p95 | CPU ms/order |",
            "|---|---|---|---|---|---|",
        ]
        for flow, ratio in data["baseline_ratio"].items():
            for index, r in enumerate(ratio["per_round"]):
                lines.append(
                    f"| {flow} | {index + 1} | {r['orders_per_s']} | {r['p50_ms']} | "
                    f"{r['p95_ms']} | {r['cpu_ms_per_order']} |"
                )
            m = ratio["mean"]
            lines.append(
                f"| {flow} | **mean** | **{m['orders_per_s']}** | **{m['p50_ms']}** | "
                f"**{m['p95_ms']}** | **{m['cpu_ms_per_order']}** |"
            )
        lines.append("")
    lines += [
        "## Every round",
        "",
        "| round | tree | flow | orders/s | requests/s | p50 ms | p95 ms | p99 ms | created | "
        "refused (409) | CPU ms/order | client CPU ms/order | worker RSS MiB | "
        "load average (before, after) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for item in data["rounds"]:
        for label in item["order"]:
            for flow, r in item["results"][label].items():
                latency = r["latency"]["all"]
                lines.append(
                    f"| {item['round']} | {label} | {flow} | {r['orders_per_s']} | "
                    f"{r['requests_per_s']} | {latency['p50_ms']} | {latency['p95_ms']} | "
                    f"{latency['p99_ms']} | {r['created']} | {r['refused_409']} | "
                    f"{r['server']['cpu_ms_per_order']} | {r.get('client_cpu_ms_per_order')} | "
                    f"{', '.join(str(v) for v in r['server']['worker_rss_mib'])} | "
                    f"{', '.join(str(v) for v in r['server']['load_average'])} |"
                )
    last = data["rounds"][-1]["results"]["current"]
    lines += ["", "Working tree, last round, latency per route (p50 / p95 ms, requests):", ""]
    for flow, r in last.items():
        routes = "; ".join(
            f"`{route}` {v['p50_ms']} / {v['p95_ms']} ({v['requests']})"
            for route, v in r["routes"].items()
        )
        lines.append(
            f"- {flow}: {routes}; by outcome: 201 {r['latency']['201']['p50_ms']} / "
            f"{r['latency']['201']['p95_ms']}, 409 {r['latency']['409']['p50_ms']} / "
            f"{r['latency']['409']['p95_ms']}; problem codes {r['problem_codes']}"
        )
    lines += [
        "",
        "Checks (all must be 0; summed over trees, rounds, flows and pgbench):",
        "",
        f"- 5xx responses: {f['http_5xx']}; transport errors: {f['http_transport_errors']}",
        f"- deadlocks (pg_stat_database): {f['deadlocks']}",
        f"- oversold units: {f['oversold_units']}; negative stock: {f['negative_stock']}; "
        f"variants whose stock is not start - sold: {f['stock_mismatches']}",
        f"- orders in the database not matching the 201 responses: "
        f"{f['orders_not_matching_201s']}; refused cold orders: {f['cold_orders_refused']}; "
        f"cart lines left: {f['carts_left']}",
        f"- variants whose stock differs from their ledger: {f['ledger_mismatches']}; pgbench "
        f"failed transactions: {f['pgbench_failed']}",
        "",
        f"Result: **{'passed' if data['passed'] else 'FAILED'}**.",
        "",
    ]
    return "\n".join(lines)
