"""People signing in: cookies, the throttle, session ends, first-run setup, other origins."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable
from datetime import timedelta

import httpx
from sqlalchemy import create_engine, insert, select, update

from api.db import make_engine, make_sessionmaker
from api.services.identity.accounts import issue_setup_token
from api.tables import SignInAttempt, SignInLock, TrustedDevice, UserSession, utcnow
from tests.api.conftest import PASSWORD, RunningApi
from tests.api.factories import assert_problem, picture_bytes


def login(client: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Response:
    return client.post("/auth/login", json={"username": username, "password": password})


def test_without_credentials_every_api_call_is_a_401_problem_naming_bearer(
    api: RunningApi,
) -> None:
    stranger = api.new_client()
    for response in (
        stranger.get("/models"),
        stranger.get("/folders"),
        stranger.delete("/files/a/b.png"),
        stranger.get("/no/such/path"),
    ):
        problem = assert_problem(response, 401, "sign in")
        assert problem["type"].endswith("/unauthorized")
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert stranger.get("/health").status_code == 200
    assert stranger.get("/ready").status_code == 200
    assert stranger.get("/openapi.json").status_code == 200


def test_a_strangers_malformed_body_is_401_not_a_description_of_it(api: RunningApi) -> None:
    stranger = api.new_client()
    response = stranger.post(
        "/models/import", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 401)
    response = stranger.post("/extract", data={"model": "x"}, files={"image": ("a", b"zz")})
    assert_problem(response, 401)


def test_a_strangers_big_upload_is_refused_before_its_body_is_sent(api: RunningApi) -> None:
    host, port = api.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(
            b"POST /api/v1/extract HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\n"
            b"Content-Length: 40000000\r\n\r\n--b\r\n"
        )
        # not a byte more of the 40 MB: the answer comes anyway
        answer = conn.recv(65536).decode("latin-1")
    assert answer.startswith("HTTP/1.1 401"), answer[:200]
    assert "application/problem+json" in answer


def test_signing_in_sets_an_httponly_lax_cookie_and_me_names_the_user(api: RunningApi) -> None:
    api.create_user("Ada", "editor")
    browser = api.new_client()
    response = login(browser, "ada")  # usernames are compared without case
    assert response.status_code == 200, response.text
    assert response.json()["username"] == "Ada"
    assert "password" not in response.text
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("zonecut_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Secure" not in cookie  # plain http here
    assert browser.get("/auth/me").json() == {
        "kind": "user",
        "name": "Ada",
        "role": "editor",
        "models": None,
    }
    assert api.client.get("/users").json()["items"][0]["last_login_at"] is not None


def test_the_cookie_is_secure_behind_a_trusted_https_proxy(api: RunningApi) -> None:
    api.create_user("ada")
    response = api.new_client().post(
        "/auth/login",
        json={"username": "ada", "password": PASSWORD},
        headers={"X-Forwarded-Proto": "https"},  # the test client is on loopback: trusted
    )
    assert response.status_code == 200
    assert "Secure" in response.headers["set-cookie"]


def test_an_unknown_user_and_a_wrong_password_get_the_same_answer(api: RunningApi) -> None:
    api.create_user("ada")
    wrong = login(api.new_client(), "ada", "not the password")
    unknown = login(api.new_client(), "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert "set-cookie" not in wrong.headers


def test_five_failures_throttle_a_username_even_for_the_right_password(
    api: RunningApi,
) -> None:
    api.create_user("ada")
    for _ in range(5):
        assert login(api.new_client(), "ADA", "guess").status_code == 401
    for password in ("guess", PASSWORD):
        response = login(api.new_client(), "ada", password)
        assert_problem(response, 429, "try again")
        assert 0 < int(response.headers["retry-after"]) <= 15 * 60
    api.create_user("grace")
    assert login(api.new_client(), "grace").status_code == 200  # others are not locked out


def test_a_success_clears_its_own_failures(api: RunningApi) -> None:
    api.create_user("ada")
    for _ in range(2):  # 8 failures in all, but never 5 since the last success
        for _ in range(4):
            assert login(api.new_client(), "ada", "guess").status_code == 401
        assert login(api.new_client(), "ada").status_code == 200


def test_the_first_sign_in_of_a_browser_sets_a_device_cookie_for_sign_in_only(
    api: RunningApi,
) -> None:
    api.create_user("ada")
    browser = api.new_client()
    cookie = login(browser, "ada").headers.get_list("set-cookie")
    device = next(c for c in cookie if c.startswith("zonecut_device="))
    assert "Path=/api/v1/auth/login" in device and "HttpOnly" in device
    assert "samesite=strict" in device.lower()
    again = login(browser, "ada").headers.get_list("set-cookie")
    assert not any(c.startswith("zonecut_device=") for c in again)  # it has one already


def test_attempts_too_old_to_count_are_pruned(api: RunningApi) -> None:
    engine = create_engine(api.settings.effective_database_url)
    old = utcnow() - timedelta(hours=2)
    with engine.begin() as connection:
        attempt = {"username_key": "ada", "address": "192.0.2.1", "trusted": False, "at": old}
        connection.execute(
            insert(SignInAttempt), [attempt | {"id": uuid.uuid4()} for _ in range(3)]
        )
        connection.execute(insert(SignInLock), [{"key": "user:ada", "at": old}])
    assert login(api.new_client(), "ghost", "guess").status_code == 401
    with engine.connect() as connection:
        attempts = connection.execute(select(SignInAttempt.username_key)).scalars().all()
        keys = connection.execute(select(SignInLock.key)).scalars().all()
    engine.dispose()
    assert attempts == ["ghost"]
    assert "user:ada" not in keys and "user:ghost" in keys


def test_unknown_usernames_are_throttled_too(api: RunningApi) -> None:
    for _ in range(5):
        login(api.new_client(), "ghost", "guess")
    assert login(api.new_client(), "Ghost", "guess").status_code == 429


def test_the_throttle_holds_across_instances_on_one_database(
    make_api: Callable[..., RunningApi],
) -> None:
    first, second = make_api(), make_api()
    first.create_user("ada")
    for _ in range(5):
        login(first.new_client(), "ada", "guess")
    assert login(second.new_client(), "ada").status_code == 429


def test_signing_out_ends_the_session(api: RunningApi) -> None:
    api.create_user("ada")
    browser = api.sign_in("ada")
    cookie = browser.cookies["zonecut_session"]
    assert browser.post("/auth/logout").status_code == 204
    replay = api.new_client()
    replay.cookies.set("zonecut_session", cookie)
    assert_problem(replay.get("/models"), 401, "session")
    assert api.new_client().post("/auth/logout").status_code == 204  # nothing to end: fine


def _age_sessions(api: RunningApi, **columns: object) -> None:
    engine = create_engine(api.settings.effective_database_url)
    with engine.begin() as connection:
        connection.execute(update(UserSession).values(**columns))
    engine.dispose()


def test_an_idle_session_ends(api: RunningApi) -> None:
    api.create_user("ada")
    browser = api.sign_in("ada")
    idle = timedelta(minutes=api.settings.session_idle_minutes, seconds=1)
    _age_sessions(api, last_seen_at=utcnow() - idle)
    assert_problem(browser.get("/models"), 401)


def test_a_session_ends_at_its_absolute_expiry_however_busy(api: RunningApi) -> None:
    api.create_user("ada")
    browser = api.sign_in("ada")
    assert browser.get("/models").status_code == 200
    _age_sessions(api, expires_at=utcnow() - timedelta(seconds=1))
    assert_problem(browser.get("/models"), 401)


def test_a_new_password_or_disabling_ends_every_session(api: RunningApi) -> None:
    user = api.create_user("ada")
    phone, laptop = api.sign_in("ada"), api.sign_in("ada")
    response = api.client.patch(f"/users/{user['id']}", json={"password": "a new passphrase"})
    assert response.status_code == 200
    assert phone.get("/models").status_code == 401
    assert laptop.get("/models").status_code == 401
    assert login(api.new_client(), "ada").status_code == 401
    browser = api.sign_in("ada", "a new passphrase")
    api.client.patch(f"/users/{user['id']}", json={"disabled": True})
    assert browser.get("/models").status_code == 401
    assert login(api.new_client(), "ada", "a new passphrase").status_code == 401


def test_a_new_password_or_disabling_forgets_the_users_browsers(api: RunningApi) -> None:
    user = api.create_user("ada")
    api.sign_in("ada")
    engine = create_engine(api.settings.effective_database_url)

    def devices() -> int:
        with engine.connect() as connection:
            return len(connection.execute(select(TrustedDevice.token_hash)).all())

    assert devices() == 1
    api.client.patch(f"/users/{user['id']}", json={"password": "a new passphrase"})
    assert devices() == 0
    api.sign_in("ada", "a new passphrase")
    api.client.patch(f"/users/{user['id']}", json={"disabled": True})
    assert devices() == 0
    engine.dispose()


def test_a_demoted_user_loses_the_role_on_the_next_request(api: RunningApi) -> None:
    user = api.create_user("ada", "editor")
    browser = api.sign_in("ada")
    files = {"image": ("r.png", picture_bytes(), "image/png")}
    assert browser.post("/models", data={"name": "A"}, files=files).status_code == 201
    api.client.patch(f"/users/{user['id']}", json={"role": "operator"})
    assert_problem(browser.post("/models", data={"name": "B"}, files=files), 403, "editor")


def test_cookie_requests_from_another_origin_may_not_change_anything(
    make_api: Callable[..., RunningApi],
) -> None:
    api = make_api(cors_origins=["https://portal.example"])
    api.create_user("ada", "editor")
    browser = api.sign_in("ada")
    own = api.base_url
    for headers in (
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": own, "Sec-Fetch-Site": "same-site"},
        {"Origin": "null"},
    ):
        response = browser.post("/models/import", json={}, headers=headers)
        assert_problem(response, 403)
    # reading is not changing; own origin, the configured origin and bearer keys may write
    assert browser.get("/models", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 200
    for headers in (
        {"Origin": own, "Sec-Fetch-Site": "same-origin"},
        {"Origin": "https://portal.example", "Sec-Fetch-Site": "cross-site"},
    ):
        assert browser.post("/models/import", json={}, headers=headers).status_code == 422
    keyed = api.as_role("editor")
    evil = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    assert keyed.post("/models/import", json={}, headers=evil).status_code == 422


def test_sign_in_from_another_origin_is_refused(api: RunningApi) -> None:
    api.create_user("ada")
    response = api.new_client().post(
        "/auth/login",
        json={"username": "ada", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert_problem(response, 403)


def test_the_setup_token_makes_the_first_admin_once(api: RunningApi) -> None:
    engine = make_engine(api.settings.effective_database_url)
    token = issue_setup_token(make_sessionmaker(engine))
    assert token is not None
    stranger = api.new_client()
    body = {"token": "wrong", "username": "root", "password": PASSWORD}
    assert_problem(stranger.post("/auth/setup", json=body), 403, "setup token")
    response = stranger.post("/auth/setup", json=body | {"token": token})
    assert response.status_code == 201, response.text
    assert response.json()["role"] == "admin"
    assert stranger.get("/auth/me").json()["role"] == "admin"  # signed in at once
    again = api.new_client().post("/auth/setup", json=body | {"token": token, "username": "x"})
    assert_problem(again, 409, "admin")
    assert issue_setup_token(make_sessionmaker(engine)) is None  # no link once an admin exists
    engine.dispose()


def test_each_instances_setup_link_works_until_an_admin_exists(api: RunningApi) -> None:
    engine = make_engine(api.settings.effective_database_url)
    first = issue_setup_token(make_sessionmaker(engine))  # two replicas starting
    second = issue_setup_token(make_sessionmaker(engine))
    engine.dispose()
    body = {"username": "root", "password": PASSWORD}
    assert api.new_client().post("/auth/setup", json=body | {"token": second}).status_code == 201
    late = api.new_client().post("/auth/setup", json=body | {"token": first, "username": "x"})
    assert_problem(late, 409, "admin")
