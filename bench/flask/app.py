"""The benchmark's reference: the original Argus Master's shape (Flask + SQLite under gunicorn sync
workers), implementing the routes the benchmark drives with the contract's semantics (SPEC section 2),
so that the "vs Flask" figures are measured side by side on the same machine.

By default deliberately generous to Flask: one SQLite connection per worker process (not one per
request), WAL mode with synchronous=NORMAL like the TypeScript master, prepared-statement caching by
the sqlite3 module, no request logging. FLASK_STYLE=plain is the textbook pattern instead (a
connection per request, SQLite's default rollback journal). Writes take the write lock with BEGIN
IMMEDIATE (cross-worker safe ID allocation) and wait for it up to 10 s.
Run: DB_PATH=... [FLASK_STYLE=plain] gunicorn -w 4 -b 127.0.0.1:PORT --chdir bench/flask app:app
"""
import json
import os
import re
import sqlite3
from datetime import datetime, timezone

from flask import Flask, g, jsonify, request

DB_PATH = os.environ.get("DB_PATH", "/tmp/argus-flask/db.sqlite3")
PREFIX = os.environ.get("NODE_ID_PREFIX", "A")
ONLINE_S = int(os.environ.get("ONLINE_THRESHOLD_SECONDS", "120"))
ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}[0-9]{1,15}$")

SCHEMA = """
CREATE TABLE IF NOT EXISTS nodes (
  id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, name TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
  version TEXT NOT NULL, status TEXT NOT NULL, config TEXT NOT NULL DEFAULT '{}',
  label TEXT NOT NULL DEFAULT '[]', meta_data TEXT NOT NULL DEFAULT '{}', health TEXT NOT NULL DEFAULT '{}',
  register_time TEXT NOT NULL, last_report TEXT, agent_last_report TEXT, last_updated TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS nodes_status ON nodes (status);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO kv (key, value) VALUES ('node_id_counter', '0');
"""

app = Flask(__name__)
_conn = None


# FLASK_STYLE=plain: the textbook Flask pattern instead (a connection per request, SQLite's default
# rollback journal with synchronous=FULL), which is what an unoptimised original would do.
PLAIN = os.environ.get("FLASK_STYLE") == "plain"


def _connect():
    os.makedirs(os.path.dirname(DB_PATH), exist_ok=True)
    c = sqlite3.connect(DB_PATH, timeout=10, isolation_level=None, check_same_thread=False)
    c.row_factory = sqlite3.Row
    if not PLAIN:
        c.execute("PRAGMA journal_mode=WAL")
        c.execute("PRAGMA synchronous=NORMAL")
    c.executescript(SCHEMA)
    return c


def db():
    global _conn
    if PLAIN:
        if "db" not in g:
            g.db = _connect()
        return g.db
    if _conn is None:
        _conn = _connect()
    return _conn


@app.teardown_appcontext
def _close(_exc):
    c = g.pop("db", None)
    if c is not None:
        c.close()


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def error(status, message):
    return jsonify({"error": message}), status


def node_json(r):
    return {
        "id": r["id"], "name": r["name"], "type": r["type"], "version": r["version"], "status": r["status"],
        "config": json.loads(r["config"]), "label": json.loads(r["label"]), "meta_data": json.loads(r["meta_data"]),
        "health": json.loads(r["health"]), "register_time": r["register_time"], "last_report": r["last_report"],
        "agent_last_report": r["agent_last_report"], "last_updated": r["last_updated"],
    }


def get_row(c, node_id):
    return c.execute("SELECT * FROM nodes WHERE id = ?", (node_id,)).fetchone()


@app.get("/api/v1/master/nodes")
def list_nodes():
    rows = db().execute("SELECT id, name, status, type, version FROM nodes ORDER BY seq").fetchall()
    return jsonify([dict(r) for r in rows])


@app.get("/api/v1/master/nodes/statistics")
def statistics():
    rows = db().execute("SELECT status, count(*) AS count FROM nodes GROUP BY status ORDER BY status").fetchall()
    return jsonify({"total": sum(r["count"] for r in rows), "status_statistics": [dict(r) for r in rows]})


@app.get("/api/v1/master/nodes/<node_id>")
def get_node(node_id):
    r = get_row(db(), node_id)
    return jsonify(node_json(r)) if r else error(404, f"node {node_id} not found")


@app.post("/api/v1/master/nodes")
def register():
    b = request.get_json(silent=True)
    if not isinstance(b, dict):
        return error(400, "body must be a JSON object")
    for f in ("name", "type", "version"):
        if not isinstance(b.get(f), str) or not b[f]:
            return error(400, f"{f} is required")
    if not isinstance(b.get("meta_data"), dict):
        return error(400, "meta_data must be an object")
    node_id = b.get("id") or None
    c = db()
    c.execute("BEGIN IMMEDIATE")
    try:
        t = now()
        meta = json.dumps(b["meta_data"])
        if node_id is None:
            r = c.execute("SELECT * FROM nodes WHERE name = ?", (b["name"],)).fetchone()
            if r is None:
                seq = int(c.execute("UPDATE kv SET value = CAST(value AS INTEGER) + 1 WHERE key = 'node_id_counter' RETURNING value").fetchone()[0])
                node_id = f"{PREFIX}{seq}"
                c.execute(
                    "INSERT INTO nodes (id, seq, name, type, version, status, meta_data, register_time, last_updated) VALUES (?, ?, ?, ?, ?, 'initialized', ?, ?, ?)",
                    (node_id, seq, b["name"], b["type"], b["version"], meta, t, t),
                )
                created = True
            else:
                node_id, created = r["id"], False
        else:
            r = get_row(c, node_id)
            if r is None:
                c.execute("ROLLBACK")
                return error(404, f"node {node_id} not found")
            if r["name"] != b["name"]:
                c.execute("ROLLBACK")
                return error(500, "name mismatch")
            created = False
        if not created:
            c.execute("UPDATE nodes SET type = ?, version = ?, meta_data = ?, last_updated = ? WHERE id = ?", (b["type"], b["version"], meta, t, node_id))
        r = get_row(c, node_id)
        c.execute("COMMIT")
    except Exception:
        c.execute("ROLLBACK")
        raise
    return jsonify(node_json(r)), 201 if created else 200


@app.put("/api/v1/master/nodes/<node_id>/status")
def report(node_id):
    b = request.get_json(silent=True)
    if not isinstance(b, dict) or not isinstance(b.get("timestamp"), str) or not isinstance(b.get("health"), dict):
        return error(400, "timestamp (string) and health (object) are required")
    try:
        datetime.fromisoformat(b["timestamp"].replace("Z", "+00:00"))
    except ValueError:
        return error(400, "timestamp must be RFC 3339")
    c = db()
    c.execute("BEGIN IMMEDIATE")
    try:
        if get_row(c, node_id) is None:
            c.execute("ROLLBACK")
            return error(404, f"node {node_id} not found")
        t = now()
        c.execute(
            "UPDATE nodes SET status = 'online', health = ?, last_report = ?, agent_last_report = ?, last_updated = ? WHERE id = ?",
            (json.dumps(b["health"]), t, b["timestamp"], t, node_id),
        )
        r = get_row(c, node_id)
        c.execute("COMMIT")
    except Exception:
        c.execute("ROLLBACK")
        raise
    return jsonify(node_json(r))


@app.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})
