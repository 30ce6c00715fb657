"""The audit's columnar fast path: DuckDB reads a run's ledger and final reads, proves most intents clean, and only
the rest become Python objects for the Index and the checkers (whose semantics stay the only ones).

A conservative filter: it removes work, never a verdict. An intent is clean (CLEAN_SQL) when every row of it is
the plain happy path, so that no checker, blame, figure or evidence rule could say anything about it but count it.
Everything else — suspect intents, rows of no intent, repeated keys, unknown charge statuses, the backlog — is
parsed by the usual Python loaders from its own lines and audited as before; the clean ones are added back as
counts (harness.audit.clean). Values are compared as their JSON text where the Python loaders keep the raw value,
so "equal here" means "equal there" (items: a 64-bit hash of their text, so a mismatched cart passes as clean only
on a hash collision). Ids are counted and joined by a 64-bit surrogate of their text, and each pair the filter
trusts is compared as text too, so a surrogate collision only makes intents suspect. Anything this path cannot
vouch for (an odd file, ids that are not plain strings, a name used as two kinds of id, a system the target lacks,
DuckDB out of memory) returns None: the caller takes the full Python path.
"""
from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import orjson

from harness.audit.clean import CleanPart, Whole
from harness.audit.history import FinalReads
from harness.audit.lines import lines_but, lines_only
from scenarios.ledger import LedgerEntry, read_ledger

log = logging.getLogger(__name__)

# One row per line, as text: a separator and no quoting that JSON lines never contain (control characters are
# escaped in JSON), so a row is exactly a line.
_LINES = ("read_csv({path}, sep='\x1f', quote='', escape='', header=false, auto_detect=false, "
          "columns={{'line': 'VARCHAR'}}, max_line_size=1048576)")

# A plain id: a JSON string without escapes (the Python loaders keep the raw value; two spellings of one string, or
# a number, would compare differently there than as text here).
def _id(x: str) -> str:
    return f"(starts_with({x}, '\"') AND NOT contains({x}, '\\'))"


# Ids are joined and grouped by a 64-bit surrogate (ID_HASH of their JSON text; NULL stays NULL), not as text: a
# collision can only merge groups (a repeated id: suspect) or pair two different ids in a join, and every join the
# clean filter trusts compares the texts too (CLEAN_SQL), so a collision makes intents suspect, never clean.
ID_HASH = "hash({})"   # the SQL of the surrogate, as the macro idh (tests plant collisions through it)


def _h(x: str) -> str:
    return f"CASE WHEN {x} IS NOT NULL THEN idh({x}) END"


# An amount as the Python loaders' int(): only a plain JSON integer is taken (else NULL: never clean).
def _int(x: str) -> str:
    return f"CASE WHEN regexp_full_match({x}, '-?[0-9]{{1,18}}') THEN {x}::BIGINT END"


# Items are compared by a 64-bit hash of their JSON text (the Python loaders turn equal texts into equal items).
# The tables keep only what the clean filter and the figures read; `odd` marks a row this path cannot vouch for
# (a missing field the Python loaders require, an id that is not a plain string, an unknown told value): one odd
# row sends the whole audit down the Python path, which says what is wrong.
_LEDGER = f"""
CREATE TABLE l AS SELECT size, key, {_h('key')} AS hk, kind, hash(items) AS items, {_int('total')} AS total,
  CASE WHEN told IN ('ok', 'fail', 'unknown') THEN told END::TOLD AS told, order_id, {_h('order_id')} AS ho,
  CASE WHEN payment IN ('ok', 'fail', 'unknown') THEN payment END::TOLD AS payment,
  CASE WHEN oa = trunc(oa) AND abs(oa) < 1e9 THEN oa END::INTEGER AS oa,
  CASE WHEN pa = trunc(pa) AND abs(pa) < 1e9 THEN pa END::INTEGER AS pa, started,
  coalesce(invalid, '[]') = '[]' AND (extra IS NULL OR (starts_with(extra, '{{') AND NOT contains(extra, 'tok_declined')
    AND NOT contains(extra, '\\'))) AS plain,
  coalesce(key IS NULL OR kind IS NULL OR items IS NULL OR total IS NULL OR told IS NULL OR oa IS NULL OR pa IS NULL
    OR started IS NULL OR ended IS NULL OR oa <> trunc(oa) OR pa <> trunc(pa) OR abs(oa) >= 1e9 OR abs(pa) >= 1e9
    OR NOT {_id('key')} OR NOT {_id('kind')}
    OR (order_id IS NOT NULL AND NOT {_id('order_id')}) OR told NOT IN ('ok', 'fail', 'unknown')
    OR (payment IS NOT NULL AND payment NOT IN ('ok', 'fail', 'unknown')), true) AS odd
FROM (SELECT j.key::VARCHAR AS key, j.kind::VARCHAR AS kind, j.items::VARCHAR AS items,
  j.expected_total_cents::VARCHAR AS total, j."order" AS told, j.order_id::VARCHAR AS order_id, j.payment AS payment,
  j.order_attempts AS oa, j.payment_attempts AS pa, j.started_at AS started, j.ended_at AS ended,
  j.extra::VARCHAR AS extra, j.invalid::VARCHAR AS invalid, size
 FROM (SELECT strlen(line)::INTEGER AS size, from_json(line, '{{"key":"JSON","kind":"JSON","items":"JSON","expected_total_cents":"JSON",
  "order":"VARCHAR","order_id":"JSON","payment":"VARCHAR","order_attempts":"DOUBLE","payment_attempts":"DOUBLE",
  "started_at":"DOUBLE","ended_at":"DOUBLE","extra":"JSON","invalid":"JSON"}}') AS j FROM LINES))
"""

# Final reads (FinalReads.to_json): a row per line, told apart by its first field (k: 0 order, 1 charge, 2 ticket,
# 3 any other line). A row line's trailing comma is kept: the line is parsed as the array '[' line 'null]' (cheaper
# than cutting it off), and a line holding anything but one row is odd. Columns shared by the kinds: id (order id |
# charge id | ticket's order id), ref (order key | merchant_ref), status, items, total (total | amount), ts (paid_at
# | received_at); hid and href their surrogates.
# Two steps: PARSE_READS turns each line into its typed fields (the costly JSON decoding), READS derives the table r
# from them. At a run's end the same two steps, run over the text written as final_reads.json, save r as its columnar
# copy (harness.audit.readsdump), which the audit then loads in their place.
PARSE_READS = """
SELECT k, size, o[1] AS o, c[1] AS c, t[1] AS t, len(coalesce(o, c, t)) = 1 + comma AS one
FROM (SELECT k, strlen(line)::INTEGER AS size, comma,
  CASE WHEN k = 0 THEN from_json(body, '[{"order_id":"JSON","key":"JSON","status":"JSON","items":"JSON",
    "total_cents":"JSON","created_at":"JSON","paid_at":"DOUBLE"}]') END AS o,
  CASE WHEN k = 1 THEN from_json(body, '[{"charge_id":"JSON","merchant_ref":"JSON","amount_cents":"JSON",
    "status":"JSON","created_at":"JSON"}]') END AS c,
  CASE WHEN k = 2 THEN from_json(body, '[{"order_id":"JSON","items":"JSON","total_cents":"JSON",
    "received_at":"DOUBLE","deliveries":"DOUBLE"}]') END AS t
 FROM (SELECT line, ends_with(line, ',')::INTEGER AS comma,
   '[' || line || CASE WHEN ends_with(line, ',') THEN 'null]' ELSE ']' END AS body,
   CASE WHEN starts_with(line, '{"order_id":') AND contains(line, ',"key":') THEN 0
        WHEN starts_with(line, '{"charge_id":') THEN 1
        WHEN starts_with(line, '{"order_id":') THEN 2 ELSE 3 END AS k
   FROM LINES))
"""

READS = f"""
CREATE TABLE r AS SELECT k, size, id, {_h('id')} AS hid, ref, {_h('ref')} AS href, status, items,
  total, ts, deliveries, odd FROM (SELECT k, size,
  CASE k WHEN 0 THEN o.order_id WHEN 1 THEN c.charge_id WHEN 2 THEN t.order_id END::VARCHAR AS id,
  CASE k WHEN 0 THEN o.key WHEN 1 THEN c.merchant_ref END::VARCHAR AS ref,
  CASE CASE k WHEN 0 THEN o.status WHEN 1 THEN c.status END::VARCHAR
    WHEN '"PAID"' THEN 1 WHEN '"PLACED"' THEN 2 WHEN '"captured"' THEN 3 ELSE 0 END::UTINYINT AS status,
  hash(CASE k WHEN 0 THEN o.items WHEN 2 THEN t.items END::VARCHAR) AS items,
  {_int("CASE k WHEN 0 THEN o.total_cents WHEN 1 THEN c.amount_cents WHEN 2 THEN t.total_cents END::VARCHAR")} AS total,
  CASE k WHEN 0 THEN o.paid_at WHEN 2 THEN t.received_at END AS ts,
  CASE WHEN t.deliveries = trunc(t.deliveries) AND abs(t.deliveries) < 1e9 THEN t.deliveries END::INTEGER
    AS deliveries,
  coalesce(CASE k
    WHEN 0 THEN o.order_id IS NULL OR o.key IS NULL OR o.status IS NULL OR o.items IS NULL OR o.total_cents IS NULL
      OR o.created_at IS NULL OR NOT {_id('o.order_id::VARCHAR')} OR NOT {_id('o.key::VARCHAR')}
    WHEN 1 THEN c.charge_id IS NULL OR c.merchant_ref IS NULL OR c.amount_cents IS NULL OR c.status IS NULL
      OR c.created_at IS NULL OR NOT {_id('c.charge_id::VARCHAR')} OR NOT {_id('c.merchant_ref::VARCHAR')}
    WHEN 2 THEN t.order_id IS NULL OR t.items IS NULL OR t.total_cents IS NULL OR t.received_at IS NULL
      OR NOT {_id('t.order_id::VARCHAR')}
      OR (t.deliveries IS NOT NULL AND (t.deliveries <> trunc(t.deliveries) OR abs(t.deliveries) >= 1e9))
    ELSE false END OR (k < 3 AND NOT one), true) AS odd
FROM (PARSED))
"""

_VIEWS = """
CREATE VIEW o AS SELECT rowid AS n, id, hid, ref AS key, href AS hk, status, items, total, ts AS paid_at FROM r
  WHERE k = 0;
CREATE VIEW c AS SELECT rowid AS n, hid AS hcid, ref, href, status, total AS amount FROM r WHERE k = 1;
CREATE VIEW t AS SELECT rowid AS n, id, hid, items, total, ts AS received, deliveries FROM r WHERE k = 2;
"""

# Every id occurrence counted once, in one pass grouped by surrogate: keys of the ledger (b 1) and of order rows (2);
# order ids of order rows (3), told to diners (4), of charges (5) and tickets (6); charge ids (7); backlog names
# (8). The counts are packed ID_BITS bits per b into one sum (one aggregate, not eight: a third of the CPU), so a
# group of 2**ID_BITS rows or more (`wide`) cannot be read and sends the run to the Python path; each count is kept
# capped at 2, as the filter only asks "none", "one" or "more". `kinds` counts the kinds of id a name is used as (ledger
# key | order id | charge id | backlog name): blame resolves a finding's ref by name, so a name of two kinds sends
# the run to the Python path (by surrogate: a collision only does that too).
ID_BITS = 16


def _count(b: int) -> str:
    return f"least((s >> {ID_BITS * (b - 1)}) & {2**ID_BITS - 1}, 2)::UTINYINT"


def _ids() -> str:
    return f"""
CREATE TABLE g AS SELECT h, n >= {2**ID_BITS} AS wide, {_count(1)} AS lkey, {_count(2)} AS okey, {_count(3)} AS oid,
  {_count(4)} AS told, {_count(5)} AS cref, {_count(6)} AS tid, {_count(7)} AS cid,
  (({_count(1)} > 0)::INT + ({_count(3)} + {_count(4)} + {_count(5)} + {_count(6)} > 0)::INT + ({_count(7)} > 0)::INT
    + ({_count(8)} > 0)::INT)::UTINYINT AS kinds
FROM (SELECT h, sum(1::HUGEINT << ({ID_BITS} * (b - 1))) AS s, count(*) AS n
  FROM (SELECT hk AS h, 1 AS b FROM l UNION ALL SELECT hk, 2 FROM o UNION ALL SELECT hid, 3 FROM o
    UNION ALL SELECT ho, 4 FROM l WHERE ho IS NOT NULL UNION ALL SELECT href, 5 FROM c UNION ALL SELECT hid, 6 FROM t
    UNION ALL SELECT hcid, 7 FROM c
    UNION ALL SELECT idh(unnest(['"outbox"', '"payments_pending"', '"kitchen.tickets"'])), 8)
  GROUP BY h)
"""

_ODD = """
SELECT (SELECT count(*) FILTER (WHERE odd) FROM l), (SELECT count(*) FILTER (WHERE odd) FROM r),
  (SELECT count(*) FILTER (WHERE kinds > 1 OR wide) FROM g)
"""

# The clean intents: one line per condition; each is what some checker, blame, figure or evidence rule reads.
# Joins go by surrogate; where one pairs two rows the filter trusts, their texts are compared too.
CLEAN_SQL = """
CREATE TABLE clean AS
SELECT l.rowid AS ln, o.n AS orow, c.n AS crow, t.n AS trow, l.told, l.payment, o.paid_at, t.received
FROM l JOIN g gk ON gk.h = l.hk JOIN o ON o.hk = l.hk JOIN g gi ON gi.h = o.hid
  LEFT JOIN c ON c.href = o.hid AND gi.cref = 1 LEFT JOIN g gc ON gc.h = c.hcid
  LEFT JOIN t ON t.hid = o.hid AND gi.tid = 1
WHERE gk.lkey = 1                                                                 -- key not repeated in the ledger
  AND gk.okey = 1 AND o.key = l.key                                               -- one order row under the key
  AND gi.oid = 1                                                                  -- its order id on no other row
  AND l.told IN ('ok', 'unknown')                                                 -- not refused, not unexpected
  AND l.plain                                                                     -- not made invalid on purpose,
                                                                                  -- no tok_declined card
  AND (l.order_id IS NULL OR l.order_id = o.id)                                   -- identity: told id is its order
  AND gi.told = (l.order_id IS NOT NULL)::INT                                     -- no other intent told this id
  AND o.total = l.total                                                           -- order total = cart total
  AND o.items = l.items                                                           -- order items = cart (text hash)
  AND ((l.payment IN ('ok', 'unknown') AND o.status = 1                         -- paid end to end: PAID,
        AND gi.cref = 1 AND c.ref = o.id                                          -- one charge, for this order,
        AND c.status = 3 AND c.amount = o.total                                   -- captured, = total
        AND gc.cid = 1                                                            -- charge id on one row only
        AND gi.tid = 1 AND t.id = o.id                                            -- one ticket, for this order,
        AND t.total = o.total AND t.items = o.items)                              -- = the order
    OR (l.payment IS NULL AND o.status = 2                                        -- or never paid: PLACED,
        AND gi.cref = 0 AND gi.tid = 0))                                          -- no charge row, no ticket
"""


@dataclass(frozen=True)
class Split:
    """A run folder split by the fast path: the suspect part as Python objects, the clean part as counts."""

    entries: list[LedgerEntry]
    reads: FinalReads
    clean: CleanPart


def connect(spill: Path):
    """An in-memory DuckDB spilling past MEMORY_LIMIT to `spill` (its tables are not compressed: compressing them
    cost ~3 of 18 s CPU at 1M intents for ~80 MiB of peak memory)."""
    import duckdb   # imported here: only the fast path needs it

    con = duckdb.connect(config={"threads": max(1, min(4, os.cpu_count() or 1)), "memory_limit": MEMORY_LIMIT,
                                 "temp_directory": str(spill), "preserve_insertion_order": True})
    con.execute("SET enable_progress_bar = false")
    con.execute("CREATE TYPE TOLD AS ENUM ('ok', 'fail', 'unknown')")
    con.execute(f"CREATE MACRO idh(x) AS {ID_HASH.format('x')}")
    return con


MEMORY_LIMIT = "768MB"   # DuckDB's own share of the audit's 1 GiB: past it, joins spill to a temp folder


def _lines_of(path: Path) -> str:
    return _LINES.format(path=quote(path))


def quote(path: Path) -> str:
    """`path` as an SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def split_run(ledger_path: Path, reads_path: Path, copy: Callable[[], Path | None] | None = None) -> Split | None:
    """The run's ledger and final reads split into suspect (Python objects) and clean (counts); None when this path
    cannot vouch for the files (the caller audits them the usual way). `copy`: called once the ledger is read, the
    final reads' columnar copy (the table r) matched to `reads_path` (readsdump.matching_copy) or None; loaded in
    place of parsing the JSON (which is parsed after all when the copy cannot be read)."""
    try:
        with tempfile.TemporaryDirectory(prefix="dinerush-audit-") as spill:
            return _split_in(ledger_path, reads_path, Path(spill), copy)
    except Exception as err:   # noqa: BLE001 — any failure here means: take the Python path, which reports it
        log.debug("columnar audit path not taken for %s: %s: %s", reads_path.parent, type(err).__name__, err)
        return None


def _split_in(ledger_path: Path, reads_path: Path, spill: Path, copy: Callable[[], Path | None] | None) \
        -> Split | None:
    con = connect(spill)
    try:
        con.execute(_LEDGER.replace("LINES", _lines_of(ledger_path)))
        _read_reads(con, reads_path, copy() if copy is not None else None)
        con.execute(_VIEWS)
        reads_sizes = con.execute("SELECT size FROM r ORDER BY rowid").fetchnumpy()["size"]
        why = _layout_problem(con, reads_path, reads_sizes)
        if why is None:
            con.execute(_ids())
            odd = con.execute(_ODD).fetchone()
            why = f"rows it cannot vouch for (ledger, final reads, names of two kinds): {odd}" if any(odd) else None
        if why is not None:
            log.debug("columnar audit path not taken for %s: %s", reads_path.parent, why)
            return None
        con.execute(CLEAN_SQL)
        clean = _clean_part(con)
        ledger_sizes = con.execute("SELECT size FROM l ORDER BY rowid").fetchnumpy()["size"]
        ledger_clean = con.execute("SELECT ln FROM clean").fetchnumpy()["ln"]
        reads_clean = np.concatenate([con.execute(f"SELECT {c} FROM clean WHERE {c} IS NOT NULL").fetchnumpy()[c]
                                      for c in ("orow", "crow", "trow")])
    finally:
        con.close()
    entries = list(read_ledger(lines_but(ledger_path, ledger_sizes, ledger_clean)))
    reads = FinalReads.from_lines(line.rstrip("\n")
                                   for line in lines_but(reads_path, reads_sizes, reads_clean))
    return Split(entries, reads, clean)


def _read_reads(con, reads_path: Path, copy: Path | None) -> None:
    """The table r: the columnar copy when one is given and readable, else parsed from the JSON lines."""
    if copy is not None:
        try:
            con.execute("CREATE TABLE r AS SELECT * FROM read_parquet(" + quote(copy) + ")")
            return
        except Exception as err:   # noqa: BLE001 — a damaged copy: parse the JSON it was made from
            log.debug("final reads: columnar copy %s not readable (%s: %s); parsing the JSON", copy,
                      type(err).__name__, err)
            con.execute("DROP TABLE IF EXISTS r")
    con.execute(reads_sql(_lines_of(reads_path)))


def reads_sql(lines: str) -> str:
    """The SQL creating the table r from `lines` (a relation of one VARCHAR column `line`, one row per line)."""
    return READS.replace("PARSED", PARSE_READS.replace("LINES", lines))


def _layout_problem(con, reads_path: Path, sizes: np.ndarray) -> str | None:
    """The final reads laid out as FinalReads.to_json writes them (the only layout the row kinds can be told by)."""
    at = con.execute("SELECT rowid FROM r WHERE k = 3 ORDER BY rowid").fetchnumpy()["rowid"].tolist()
    if len(at) != 10:
        return f"final reads not laid out as FinalReads.to_json writes them ({len(at)} lines that are not rows)"
    texts = lines_only(reads_path, sizes, at)
    if texts[:6] != ['{"orders":[\n', "],\n", '"charges":[\n', "],\n", '"tickets":[\n', "],\n"] \
            or not texts[6].startswith('"backlog":') or not texts[7].startswith('"read_at":') \
            or not texts[8].startswith('"absent":[]') or texts[9].rstrip("\n") != "}":
        return "final reads not laid out as FinalReads.to_json writes them (or a table is empty, or systems absent)"
    spans = con.execute("SELECT k, min(rowid), max(rowid), count(*) FROM r WHERE k < 3 GROUP BY k ORDER BY k").fetchall()
    if [k for k, *_ in spans] != [0, 1, 2]:
        return "a table of the final reads is empty"
    bounds = [(at[0], at[1]), (at[2], at[3]), (at[4], at[5])]
    for (k, lo, hi, n), (start, end) in zip(spans, bounds):
        if not (start < lo and hi < end and n == end - start - 1):
            return f"final reads: rows of table {k} outside their section"
    return None


def _clean_part(con) -> CleanPart:
    (n, paid_e2e, orders_ok, paid_ok, paid_recovered, unpaid) = con.execute("""
        SELECT count(*), count(*) FILTER (WHERE told = 'ok' AND payment = 'ok'),
          count(*) FILTER (WHERE told = 'ok'), count(*) FILTER (WHERE payment = 'ok'),
          count(*) FILTER (WHERE payment = 'unknown'), count(*) FILTER (WHERE payment IS NULL) FROM clean""").fetchone()
    lags = con.execute("SELECT paid_at, received FROM clean WHERE payment IS NOT NULL AND paid_at IS NOT NULL") \
        .fetchnumpy()
    paid = paid_ok + paid_recovered
    return CleanPart(intents=n, orders=n, captured=paid, tickets=paid, paid_end_to_end=paid_e2e,
                     orders_ok=orders_ok, paid_ok=paid_ok, paid_recovered=paid_recovered, unpaid=unpaid,
                     kitchen_paid=np.asarray(lags["paid_at"], dtype=float),
                     kitchen_received=np.asarray(lags["received"], dtype=float), whole=_whole(con))


def _first_seen(con, column: str, none: str | None = None) -> dict[str, int]:
    rows = con.execute(f"SELECT {column}, count(*), min(rowid) AS first FROM l GROUP BY {column} ORDER BY first") \
        .fetchall()
    return {(v if v is not None else none): k for v, k, _ in rows}


def _whole(con) -> Whole:
    kinds = con.execute("SELECT kind, count(*) FROM l GROUP BY kind").fetchall()
    (n, o_ret, o_extra, p_ret, p_extra, first) = con.execute("""
        SELECT count(*), count(*) FILTER (WHERE oa > 1), coalesce(sum(oa - 1) FILTER (WHERE oa > 1), 0),
          count(*) FILTER (WHERE pa > 1), coalesce(sum(pa - 1) FILTER (WHERE pa > 1), 0), coalesce(min(started), 0.0)
        FROM l""").fetchone()
    t_red, t_extra = con.execute("""
        SELECT count(*) FILTER (WHERE coalesce(deliveries, 1) > 1),
          coalesce(sum(deliveries - 1) FILTER (WHERE coalesce(deliveries, 1) > 1), 0) FROM t""").fetchone()
    return Whole(intents=n, intents_by_kind=dict(sorted((orjson.loads(k), c) for k, c in kinds)),
                 told_order=_first_seen(con, "told"), told_payment=_first_seen(con, "payment", "none"),
                 order_retried=o_ret, order_extra_attempts=int(o_extra), payment_retried=p_ret,
                 payment_extra_attempts=int(p_extra), kitchen_redelivered_tickets=t_red,
                 kitchen_redeliveries=int(t_extra), first_started=float(first))
