"""A Mastodon stand-in for the publishing tests: a real HTTP server on 127.0.0.1 (random port).

No Mastodon server installs from the package registries on the machines that build and test this
project, so this is NOT Mastodon: it is a small server written from Mastodon's API documentation
(docs.joinmastodon.org: methods/accounts, methods/instance, methods/media, methods/statuses,
entities/Error, api/rate-limits) implementing exactly the endpoints Copydesk's publisher uses:

- `GET /api/v1/accounts/verify_credentials` (a CredentialAccount)
- `GET /api/v2/instance` (configuration.statuses.max_characters / max_media_attachments) and
  `GET /api/v1/instance` (what Mastodon.py reads for the server's version)
- `POST /api/v2/media` (multipart `file`, `description`, `focus`): 200 with `url` when processed at
  once, or 202 with `url: null` (asynchronous processing, see `async_media`), then
  `GET /api/v1/media/:id`: 206 while processing, 200 once done; `PUT /api/v1/media/:id` (description)
- `POST /api/v1/statuses` honouring `Idempotency-Key` (per token, kept one hour: the same key
  returns the same status and creates nothing); 422 for text over `max_characters` (URLs count 23),
  more than `max_media` attachments, or media still processing
- `GET /api/v1/statuses/:id` (favourites/reblogs/replies counts set by the test)

Errors have Mastodon's documented shape `{"error": "..."}`: 401 (token missing, invalid or revoked),
404, 422 (validation), 429 (with `X-RateLimit-Limit/Remaining/Reset` and `Retry-After`), 500/503.

Controls for tests: `fail(path_prefix, status, count, retry_after)` (the next `count` requests whose
path starts with the prefix answer `status`), `drop(path_prefix, count)` (the request is carried out
in full, then the connection is closed without an answer: "the network acted, we never heard";
`before=True`: closed before anything is done), `revoke()`, `set_counts(...)`, `async_media(polls)`,
`set_limits(...)`, and for assertions `statuses`, `media`, `requests(prefix)`.

In-process: `with MastodonServer() as srv: ...`. As a subprocess shared by several worker processes
(`python -m tests.utils.mastodon_server --port 0 [--state-file F]`) it prints one JSON line
`{"url", "token"}` and serves until killed; the same controls are `POST /__test__/<control>` and
`GET /__test__/state`; `MastodonProcess` starts it and offers the same methods over HTTP. With
`--state-file` the state is also written there after every change and read back on start.
"""

from __future__ import annotations

import argparse
import email.parser
import email.policy
import html
import json
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import regex

USERNAME = "copydesk"
MEDIA_TYPES = {"image/jpeg": "image", "image/png": "image", "image/gif": "gifv", "image/webp": "image",
               "video/mp4": "video"}
ERRORS = {401: "The access token is invalid", 403: "This action is not allowed", 404: "Record not found",
          422: "Validation failed", 429: "Too many requests", 500: "Internal server error",
          502: "Bad gateway", 503: "There was a temporary problem serving your request, please try again"}
URL = regex.compile(r"https?://\S+")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Reply(Exception):
    """An HTTP answer decided early (an error): status, JSON body, extra headers."""

    def __init__(self, status: int, error: str | None = None, headers: dict | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, {"error": error or ERRORS.get(status, "Error")}, headers or {}


class State:
    """Everything the server knows, behind one lock (handlers run in threads)."""

    def __init__(self, base: str, state_file: Path | None = None, token: str | None = None) -> None:
        self.base, self.file, self.lock = base, state_file, threading.RLock()
        self.data = {"token": token or secrets.token_urlsafe(24), "revoked": False, "next_id": 110000000000000000,
                     "statuses": {}, "media": {}, "keys": {}, "requests": {}, "fails": [], "drops": [],
                     "async_polls": 0, "max_characters": 500, "max_media": 4, "description_limit": 1500,
                     "idempotency_window": 3600}
        if state_file and state_file.exists():
            self.data.update(json.loads(state_file.read_text()))
            self.data["token"] = token or self.data["token"]

    def save(self) -> None:
        if self.file:
            tmp = self.file.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.data))
            tmp.replace(self.file)

    def new_id(self) -> str:
        self.data["next_id"] += 1
        return str(self.data["next_id"])

    # test controls
    def control(self, name: str, body: dict) -> dict:
        with self.lock:
            if name == "fail":
                self.data["fails"].append({"path": body["path"], "status": int(body["status"]),
                                           "count": int(body.get("count", 1)), "retry_after": body.get("retry_after"),
                                           "error": body.get("error")})
            elif name == "drop":
                self.data["drops"].append({"path": body["path"], "count": int(body.get("count", 1)),
                                           "before": bool(body.get("before"))})
            elif name == "revoke":
                self.data["revoked"] = True
            elif name == "counts":
                status = self.data["statuses"].get(str(body["id"]))
                if status is None:
                    raise Reply(404)
                for field in ("favourites", "reblogs", "replies"):
                    if body.get(field) is not None:
                        status[f"{field}_count"] = int(body[field])
            elif name == "media_mode":
                self.data["async_polls"] = int(body.get("polls", 0))
            elif name == "limits":
                for field in ("max_characters", "max_media", "description_limit", "idempotency_window"):
                    if body.get(field) is not None:
                        self.data[field] = int(body[field])
            else:
                raise Reply(404)
            self.save()
            return {"ok": True}

    def snapshot(self) -> dict:
        with self.lock:
            return json.loads(json.dumps({"statuses": list(self.data["statuses"].values()),
                                          "media": list(self.data["media"].values()),
                                          "requests": self.data["requests"]}))

    # what every request goes through first
    def admit(self, method: str, path: str, authorization: str | None) -> str | None:
        """Counts the request, applies an injected failure (raises Reply), checks the token; "after" when
        the answer is to be dropped once the request is carried out, "before" when it is not carried out."""
        with self.lock:
            self.data["requests"][path] = self.data["requests"].get(path, 0) + 1
            rule = next((r for r in self.data["fails"] if path.startswith(r["path"]) and r["count"] > 0), None)
            if rule:
                rule["count"] -= 1
            self.save()
            if rule:
                headers = self._rate_headers(rule) if rule["status"] == 429 else None
                raise Reply(rule["status"], rule.get("error"), headers)
            public = path.startswith(("/api/v1/instance", "/api/v2/instance"))
            if not public and authorization != f"Bearer {self.data['token']}":
                raise Reply(401)
            if not public and self.data["revoked"]:
                raise Reply(401, "The access token was revoked")
            drop = next((r for r in self.data["drops"] if path.startswith(r["path"]) and r["count"] > 0), None)
            if drop:
                drop["count"] -= 1
                self.save()
                return "before" if drop.get("before") else "after"
            return None

    @staticmethod
    def _rate_headers(rule: dict) -> dict:
        wait = float(rule.get("retry_after") or 60)
        reset = datetime.now(timezone.utc) + timedelta(seconds=wait)
        return {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": reset.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "Retry-After": str(int(wait + 0.999))}

    # resources
    def account(self) -> dict:
        return {"id": "1", "username": USERNAME, "acct": USERNAME, "display_name": "Copydesk Test",
                "locked": False, "bot": False, "discoverable": True, "group": False,
                "created_at": "2026-01-01T00:00:00.000Z", "note": "", "url": f"{self.base}/@{USERNAME}",
                "uri": f"{self.base}/users/{USERNAME}", "avatar": f"{self.base}/avatars/original/missing.png",
                "avatar_static": f"{self.base}/avatars/original/missing.png", "header": "", "header_static": "",
                "followers_count": 0, "following_count": 0, "statuses_count": len(self.data["statuses"]),
                "last_status_at": None, "emojis": [], "fields": [],
                "source": {"privacy": "public", "sensitive": False, "language": "", "note": "", "fields": [],
                           "follow_requests_count": 0}}

    def instance(self, version: int) -> dict:
        host = urllib.parse.urlsplit(self.base).netloc
        configuration = {
            "urls": {"streaming": self.base.replace("http", "ws", 1)},
            "accounts": {"max_featured_tags": 10},
            "statuses": {"max_characters": self.data["max_characters"],
                         "max_media_attachments": self.data["max_media"], "characters_reserved_per_url": 23},
            "media_attachments": {"supported_mime_types": sorted(MEDIA_TYPES),
                                  "description_limit": self.data["description_limit"],
                                  "image_size_limit": 16777216, "image_matrix_limit": 33177600,
                                  "video_size_limit": 103809024, "video_frame_rate_limit": 120,
                                  "video_matrix_limit": 8294400},
            "polls": {"max_options": 4, "max_characters_per_option": 50,
                      "min_expiration": 300, "max_expiration": 2629746},
        }
        common = {"title": "Copydesk test instance", "version": "4.3.0", "description": "A stand-in.",
                  "languages": ["en", "it"], "rules": [], "configuration": configuration}
        if version == 1:
            return {**common, "uri": host, "short_description": "", "email": "", "urls": configuration["urls"],
                    "stats": {"user_count": 1, "status_count": len(self.data["statuses"]), "domain_count": 1},
                    "thumbnail": None, "registrations": False, "approval_required": False,
                    "invites_enabled": False, "contact_account": None}
        return {**common, "domain": host, "source_url": "https://github.com/mastodon/mastodon",
                "usage": {"users": {"active_month": 1}}, "thumbnail": {"url": f"{self.base}/thumb.png"},
                "registrations": {"enabled": False, "approval_required": False, "message": None},
                "contact": {"email": "", "account": None}, "api_versions": {"mastodon": 2}}

    def add_media(self, upload: dict) -> tuple[int, dict]:
        file, description = upload.get("file"), upload.get("description")
        if not file or not file["data"]:
            raise Reply(422, "Validation failed: File can't be blank")
        kind = MEDIA_TYPES.get(file["type"])
        if kind is None:
            raise Reply(422, f"Validation failed: File content type {file['type']} is not supported")
        self._check_description(description)
        with self.lock:
            media_id = self.new_id()
            polls = self.data["async_polls"]
            media = {"id": media_id, "type": kind, "url": None if polls else f"{self.base}/media/{media_id}",
                     "preview_url": f"{self.base}/media/{media_id}/small", "remote_url": None,
                     "text_url": None, "meta": _meta(file["data"]), "description": description,
                     "blurhash": "UFBWY:8_0Jxu~q%MIVIU%M%MRjof%MRjWBof", "_polls_left": polls,
                     "_bytes": len(file["data"]), "_status": None}
            self.data["media"][media_id] = media
            self.save()
        return (202 if polls else 200), _public(media)

    def _check_description(self, description: str | None) -> None:
        if description and len(description) > self.data["description_limit"]:
            raise Reply(422, "Validation failed: Description is too long (maximum is "
                             f"{self.data['description_limit']} characters)")

    def get_media(self, media_id: str, update: dict | None = None) -> tuple[int, dict]:
        with self.lock:
            media = self.data["media"].get(media_id)
            if media is None or (update is not None and media["_status"]):
                raise Reply(404)
            if update is not None:
                self._check_description(update.get("description"))
                if "description" in update:
                    media["description"] = update["description"]
            elif media["_polls_left"] > 0:
                media["_polls_left"] -= 1
                if media["_polls_left"] == 0:
                    media["url"] = f"{self.base}/media/{media_id}"
            self.save()
            return (206 if media["url"] is None else 200), _public(media)

    def post_status(self, form: dict, key: str | None) -> dict:
        with self.lock:
            scoped = f"{self.data['token']}:{key}" if key else None  # Mastodon keeps keys per account
            kept = self.data["keys"].get(scoped) if scoped else None
            if kept and time.time() - kept[1] < self.data["idempotency_window"]:
                return self.data["statuses"][kept[0]]
            text, media_ids = str(form.get("status") or ""), [str(m) for m in form.get("media_ids") or []]
            attachments = self._attachable(media_ids)
            if not text.strip() and not attachments:
                raise Reply(422, "Validation failed: Text can't be blank")
            length = len(regex.findall(r"\X", URL.sub("x" * 23, text)))
            if length > self.data["max_characters"]:
                raise Reply(422, f"Validation failed: Text character limit of {self.data['max_characters']} exceeded")
            status_id = self.new_id()
            for media in attachments:
                media["_status"] = status_id
            status = {"id": status_id, "created_at": _now(), "in_reply_to_id": None, "in_reply_to_account_id": None,
                      "sensitive": _truthy(form.get("sensitive")), "spoiler_text": form.get("spoiler_text") or "",
                      "visibility": form.get("visibility") or "public", "language": form.get("language"),
                      "uri": f"{self.base}/users/{USERNAME}/statuses/{status_id}",
                      "url": f"{self.base}/@{USERNAME}/{status_id}", "replies_count": 0, "reblogs_count": 0,
                      "favourites_count": 0, "edited_at": None,
                      "content": "<p>" + html.escape(text).replace("\n", "<br />") + "</p>", "text": text,
                      "reblog": None, "application": {"name": "Copydesk", "website": None},
                      "account": {k: v for k, v in self.account().items() if k != "source"},
                      "media_attachments": [_public(m) for m in attachments], "mentions": [], "tags": [],
                      "emojis": [], "card": None, "poll": None, "_idempotency_key": key}
            self.data["statuses"][status_id] = status
            if scoped:
                self.data["keys"][scoped] = [status_id, time.time()]
            self.save()
            return status

    def _attachable(self, media_ids: list[str]) -> list[dict]:
        if len(media_ids) > self.data["max_media"]:
            raise Reply(422, f"Validation failed: Cannot attach more than {self.data['max_media']} files")
        found = []
        for media_id in media_ids:
            media = self.data["media"].get(media_id)
            if media is None or media["_status"]:
                raise Reply(422, "Validation failed: Media attachments are invalid")
            if media["url"] is None:
                raise Reply(422, "Cannot attach files that have not finished processing. Try again in a moment!")
            found.append(media)
        return found

    def get_status(self, status_id: str) -> dict:
        with self.lock:
            status = self.data["statuses"].get(status_id)
            if status is None:
                raise Reply(404)
            return status


def _public(media: dict) -> dict:
    return {k: v for k, v in media.items() if not k.startswith("_")}


def _truthy(value: object) -> bool:
    return str(value).lower() in ("1", "true")


def _meta(data: bytes) -> dict:
    try:
        import io

        from PIL import Image
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except Exception:  # not an image Pillow reads (a video): no dimensions
        return {}
    size = {"width": width, "height": height, "size": f"{width}x{height}", "aspect": width / height}
    return {"original": size, "small": size}


def _parse_body(content_type: str, body: bytes) -> dict:
    """Form fields from JSON, urlencoded or multipart bodies; `key[]` lists become `key`. A file part
    becomes {"name", "type", "data"}."""
    if not body:
        return {}
    if content_type.startswith("application/json"):
        return json.loads(body)
    fields: dict = {}

    def put(name: str, value: object) -> None:
        if name.endswith("[]"):
            fields.setdefault(name[:-2], []).append(value)
        else:
            fields[name] = value

    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            data = part.get_payload(decode=True) or b""
            if part.get_filename() is not None:
                put(name, {"name": part.get_filename(), "type": part.get_content_type(), "data": data})
            else:
                put(name, data.decode())
        return fields
    for name, value in urllib.parse.parse_qsl(body.decode(), keep_blank_values=True):
        put(name, value)
    return fields


def handler_for(state: State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep test output clean
            pass

        def do_GET(self):
            self._serve("GET")

        def do_POST(self):
            self._serve("POST")

        def do_PUT(self):
            self._serve("PUT")

        def _serve(self, method: str) -> None:
            path = urllib.parse.urlsplit(self.path).path.rstrip("/") or "/"
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                if path.startswith("/__test__/"):
                    return self._json(200, self._control(method, path[len("/__test__/"):], body))
                drop = state.admit(method, path, self.headers.get("Authorization"))
                if drop == "before":  # the connection closes before anything is done
                    return self._hang_up()
                status, answer = self._route(method, path, _parse_body(self.headers.get("Content-Type", ""), body))
            except Reply as reply:
                return self._json(reply.status, reply.body, reply.headers)
            if drop:  # carried out in full; the client never hears of it
                return self._hang_up()
            self._json(status, answer)

        def _hang_up(self) -> None:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

        def _control(self, method: str, name: str, body: bytes) -> dict:
            if method == "GET" and name == "state":
                return state.snapshot()
            return state.control(name, json.loads(body or b"{}"))

        def _route(self, method: str, path: str, form: dict) -> tuple[int, dict]:
            parts = path.strip("/").split("/")
            if (method, path) == ("GET", "/api/v1/accounts/verify_credentials"):
                return 200, state.account()
            if (method, path) in (("GET", "/api/v1/instance"), ("GET", "/api/v2/instance")):
                return 200, state.instance(int(parts[1][1]))
            if (method, path) == ("POST", "/api/v2/media"):
                return state.add_media(form)
            if parts[:3] == ["api", "v1", "media"] and len(parts) == 4 and method in ("GET", "PUT"):
                return state.get_media(parts[3], form if method == "PUT" else None)
            if (method, path) == ("POST", "/api/v1/statuses"):
                return 200, _public(state.post_status(form, self.headers.get("Idempotency-Key")))
            if parts[:3] == ["api", "v1", "statuses"] and len(parts) == 4 and method == "GET":
                return 200, _public(state.get_status(parts[3]))
            raise Reply(404)

        def _json(self, status: int, body: dict, headers: dict | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


class _Controls:
    """The test controls, the same in-process and over HTTP: subclasses give `_control` and `_state`."""

    token: str
    url: str

    def fail(self, path_prefix: str, status: int, count: int = 1, retry_after: float | None = None,
             error: str | None = None) -> None:
        self._control("fail", {"path": path_prefix, "status": status, "count": count,
                               "retry_after": retry_after, "error": error})

    def drop(self, path_prefix: str, count: int = 1, before: bool = False) -> None:
        """The connection closes without an answer: after the request was carried out (default: the
        network acted, we never heard), or `before` doing anything."""
        self._control("drop", {"path": path_prefix, "count": count, "before": before})

    def revoke(self) -> None:
        self._control("revoke", {})

    def set_counts(self, status_id: str, favourites: int | None = None, reblogs: int | None = None,
                   replies: int | None = None) -> None:
        self._control("counts", {"id": status_id, "favourites": favourites, "reblogs": reblogs, "replies": replies})

    def async_media(self, polls: int = 2) -> None:
        """Uploads answer 202 with `url: null`; each later GET of the media counts down, 0 = processed."""
        self._control("media_mode", {"polls": polls})

    def set_limits(self, max_characters: int | None = None, max_media: int | None = None,
                   description_limit: int | None = None, idempotency_window: int | None = None) -> None:
        """The instance's limits; `idempotency_window`: seconds an Idempotency-Key is kept (Mastodon: 3600)."""
        self._control("limits", {"max_characters": max_characters, "max_media": max_media,
                                 "description_limit": description_limit, "idempotency_window": idempotency_window})

    @property
    def statuses(self) -> list[dict]:
        return self._state()["statuses"]

    @property
    def media(self) -> list[dict]:
        return self._state()["media"]

    def requests(self, path_prefix: str) -> int:
        return sum(n for path, n in self._state()["requests"].items() if path.startswith(path_prefix))


class MastodonServer(_Controls):
    """In-process: `with MastodonServer() as srv:` (a thread serving on 127.0.0.1)."""

    def __init__(self, port: int = 0, state_file: Path | None = None, token: str | None = None) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), BaseHTTPRequestHandler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.state = State(self.url, state_file, token)
        self.httpd.RequestHandlerClass = handler_for(self.state)
        self.token = self.state.data["token"]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> MastodonServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _control(self, name: str, body: dict) -> None:
        self.state.control(name, body)

    def _state(self) -> dict:
        return self.state.snapshot()


class MastodonProcess(_Controls):
    """The same server as a subprocess (`python -m tests.utils.mastodon_server`), shared by several
    worker processes; the controls go over HTTP to `/__test__/...`."""

    def __init__(self, state_file: Path | None = None) -> None:
        self.state_file = state_file

    def __enter__(self) -> MastodonProcess:
        root = Path(__file__).resolve().parents[2]
        command = [sys.executable, "-m", "tests.utils.mastodon_server", "--port", "0"]
        if self.state_file:
            command += ["--state-file", str(self.state_file)]
        self.proc = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            self.proc.kill()
            raise RuntimeError("the Mastodon test server did not start (see its stderr above)")
        started = json.loads(line)
        self.url, self.token = started["url"], started["token"]
        return self

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def _call(self, method: str, name: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}/__test__/{name}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def _control(self, name: str, body: dict) -> None:
        self._call("POST", name, body)

    def _state(self) -> dict:
        return self._call("GET", "state")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A Mastodon API stand-in for tests (see the module docstring).")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--state-file", type=Path, default=None)
    parser.add_argument("--token", default=None, help="the valid bearer token (default: random, or the state file's)")
    args = parser.parse_args(argv)
    server = MastodonServer(args.port, args.state_file, args.token)
    server.state.save()
    print(json.dumps({"url": server.url, "token": server.token}), flush=True)
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
