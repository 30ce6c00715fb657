"""Noodle Bar: a small ordering app that is NOT the reference stack (one process, SQLite, no broker, no kitchen).

Its API on purpose looks nothing like stack/README.md:
    GET  /api/v2/dishes                    {"dishes": [{"sku", "title", "price": "12.50", "in_stock"}]}
    POST /api/v2/tabs                      {"client_ref", "seat", "lines": [{"sku", "count"}]} → 201 {"tab": {...}}
                                           the same client_ref again → 200 and the first tab (its idempotency scheme)
    POST /api/v2/tabs/{number}/settle      {"card_token"} → 200 settled | 402 declined
    GET  /api/v2/tabs/{number}             {"tab": {"number", "client_ref", "state": open|settled|declined, "amount"}}
Money is decimal strings. Payments are rows of its own `payments` table.

    python examples/noodlebar/app.py --db /tmp/nb.sqlite --port 8080 [--defect double-submit]

`--defect double-submit` is the switchable defect: client_ref is no longer unique, so a double tap or a retry
opens a second tab (what dinerush must catch as duplicated orders).
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import threading
import time
from decimal import Decimal

import uvicorn
from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

DEFECTS = ("double-submit",)
MENU = (("N01", "Dan Dan Noodles", "11.50", True), ("N02", "Wonton Soup", "9.80", True),
        ("N03", "Beef Chow Fun", "14.20", True), ("N04", "Cold Sesame Noodles", "8.90", True),
        ("N05", "Pork Belly Bao", "6.40", True), ("N06", "Mango Pudding", "5.00", True),
        ("N07", "Truffle Noodles", "24.00", False), ("N08", "Jasmine Tea", "3.20", True))
SCHEMA = """
CREATE TABLE IF NOT EXISTS tabs (number INTEGER PRIMARY KEY AUTOINCREMENT, client_ref TEXT NOT NULL {unique},
    seat TEXT, lines TEXT NOT NULL, amount TEXT NOT NULL, state TEXT NOT NULL, opened_at REAL NOT NULL,
    settled_at REAL);
CREATE TABLE IF NOT EXISTS payments (id INTEGER PRIMARY KEY AUTOINCREMENT, tab_number INTEGER NOT NULL,
    amount TEXT NOT NULL, outcome TEXT NOT NULL, at REAL NOT NULL);
"""


class Line(BaseModel):
    sku: str
    count: int = Field(ge=1, le=20)


class NewTab(BaseModel):
    client_ref: str = Field(min_length=1, max_length=200)
    seat: str | None = None
    lines: list[Line] = Field(min_length=1, max_length=20)


class Settle(BaseModel):
    card_token: str


def make_app(db: str, defect: str | None = None) -> FastAPI:
    """The app over SQLite file `db`; one connection per thread, writes serialized by SQLite itself."""
    conn = sqlite3.connect(db)
    conn.executescript("PRAGMA journal_mode=WAL;" + SCHEMA.format(unique="" if defect == "double-submit" else "UNIQUE"))
    conn.close()
    local = threading.local()
    prices = {sku: (Decimal(price), stock) for sku, _, price, stock in MENU}

    def db_conn() -> sqlite3.Connection:
        c = getattr(local, "conn", None)
        if c is None:
            c = local.conn = sqlite3.connect(db, timeout=10.0, isolation_level=None)
            c.row_factory = sqlite3.Row
        return c

    def tab_json(row: sqlite3.Row) -> dict:
        return {"tab": {"number": row["number"], "client_ref": row["client_ref"], "state": row["state"],
                        "amount": row["amount"], "seat": row["seat"]}}

    app = FastAPI(title="Noodle Bar")

    @app.get("/api/v2/dishes")
    def dishes() -> dict:
        return {"dishes": [{"sku": s, "title": t, "price": p, "in_stock": st} for s, t, p, st in MENU]}

    @app.post("/api/v2/tabs", status_code=201)
    def open_tab(body: NewTab):
        amount = Decimal("0.00")
        for line in body.lines:
            if line.sku not in prices:
                raise HTTPException(422, f"unknown sku {line.sku}")
            price, stock = prices[line.sku]
            if not stock:
                raise HTTPException(422, f"{line.sku} is out of stock")
            amount += price * line.count
        c = db_conn()
        if defect != "double-submit":
            row = c.execute("SELECT * FROM tabs WHERE client_ref = ?", (body.client_ref,)).fetchone()
            if row is not None:
                return JSONResponse(tab_json(row), status_code=200)
        lines = json.dumps([{"sku": ln.sku, "count": ln.count, "price": f"{prices[ln.sku][0]:.2f}"} for ln in body.lines])
        try:
            cur = c.execute("INSERT INTO tabs (client_ref, seat, lines, amount, state, opened_at) "
                            "VALUES (?, ?, ?, ?, 'open', ?)", (body.client_ref, body.seat, lines, f"{amount:.2f}",
                                                              time.time()))
            number = cur.lastrowid
        except sqlite3.IntegrityError:   # the same client_ref raced in from another request: answer the first
            row = c.execute("SELECT * FROM tabs WHERE client_ref = ?", (body.client_ref,)).fetchone()
            return JSONResponse(tab_json(row), status_code=200)
        return tab_json(c.execute("SELECT * FROM tabs WHERE number = ?", (number,)).fetchone())

    @app.post("/api/v2/tabs/{number}/settle")
    def settle(number: int, body: Settle):
        c = db_conn()
        c.execute("BEGIN IMMEDIATE")
        try:
            row = c.execute("SELECT * FROM tabs WHERE number = ?", (number,)).fetchone()
            if row is None:
                c.execute("ROLLBACK")
                raise HTTPException(404, f"no tab {number}")
            if row["state"] == "settled":
                c.execute("COMMIT")
                return tab_json(row)
            declined = body.card_token == "tok_declined"
            outcome, state = ("declined", "declined") if declined else ("captured", "settled")
            now = time.time()
            c.execute("INSERT INTO payments (tab_number, amount, outcome, at) VALUES (?, ?, ?, ?)",
                      (number, row["amount"], outcome, now))
            c.execute("UPDATE tabs SET state = ?, settled_at = ? WHERE number = ?",
                      (state, None if declined else now, number))
            c.execute("COMMIT")
        except HTTPException:
            raise
        except BaseException:
            c.execute("ROLLBACK")
            raise
        fresh = tab_json(c.execute("SELECT * FROM tabs WHERE number = ?", (number,)).fetchone())
        return JSONResponse({**fresh, "reason": "card declined"}, status_code=402) if declined else fresh

    @app.get("/api/v2/tabs/{number}")
    def read_tab(number: int) -> dict:
        row = db_conn().execute("SELECT * FROM tabs WHERE number = ?", (number,)).fetchone()
        if row is None:
            raise HTTPException(404, f"no tab {number}")
        return tab_json(row)

    return app


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, help="SQLite file (created if missing)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--defect", choices=DEFECTS, default=None, help="switch the seeded defect on")
    args = ap.parse_args()
    uvicorn.run(make_app(args.db, args.defect), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
