"""test_authz.py - the authorisation matrix of `presignd serve`, one test
per row, each asserting the exact status.

World: organisation A holds the subject S, a plain member P and an admin
AD; organisation B holds an outsider O; organisation M requires MFA.
"""
import pytest

from conftest import Gateway

BUCKET = "avatars-authz"


@pytest.fixture(scope="module")
def world(db):
    a, b, m = db.org("A"), db.org("B"), db.org("M", require_mfa=True)
    w = {}
    w["S"] = db.user("Subject Person")
    w["P"] = db.user("Plain Member")
    w["AD"] = db.user("Admin Person")
    w["O"] = db.user("Outsider Person")
    w["IU"] = db.user("Inactive User", active=False)
    w["IM"] = db.user("Inactive Membership")
    w["MU"] = db.user("Mfa User")
    db.member(a, w["S"])
    db.member(a, w["P"])
    db.member(a, w["AD"], role="admin")
    db.member(b, w["O"])
    db.member(a, w["IU"])
    db.member(a, w["IM"], active=False)
    db.member(m, w["MU"])
    db.ref(w["S"], "avatar", BUCKET, "u/s/avatar.png")
    db.ref(w["S"], "signature", BUCKET, "u/s/signature.png")
    tok = {name: db.session(uid, a) for name, uid in w.items()
           if name not in ("O", "MU")}
    tok["O"] = db.session(w["O"], b)
    tok["MU"] = db.session(w["MU"], m, mfa=False)
    tok["MU_ok"] = db.session(w["MU"], m, mfa=True)
    tok["expired"] = db.session(w["P"], a, expires="-1 minute")
    tok["revoked"] = db.session(w["P"], a, revoked=True)
    w["tok"] = tok
    return w


@pytest.fixture(scope="module")
def gw(db, world):
    g = Gateway(db.dsn, ["--bucket", BUCKET, "--addressing", "path"])
    yield g
    g.finish()


def avatar(w, who="S"):
    return "/v1/users/%d/avatar" % w[who]


def signature(w, who="S"):
    return "/v1/users/%d/signature" % w[who]


def test_no_cookie_is_401(gw, world):
    assert gw.status(avatar(world)) == 401


def test_garbage_cookie_is_401(gw, world):
    assert gw.status(avatar(world), "not-a-session-token") == 401


def test_duplicate_session_cookies_any_live_one_is_honoured(gw, world):
    # Browsers send a stale same-name cookie (longer path, parent domain)
    # before or after the live one; frameworks disagree on which wins.
    live = world["tok"]["P"]  # a plain member, who sees S's avatar
    for header in ("session=garbage; session=%s" % live,
                   "session=%s; session=stale-token-0000" % live,
                   "session=%s; other=x; session=%s" % (
                       world["tok"]["expired"], live)):
        assert gw.status(avatar(world), headers={"Cookie": header}) == 302
    assert gw.status(avatar(world), headers={
        "Cookie": "session=a; session=%s" % world["tok"]["revoked"]}) == 401


def test_expired_session_is_401(gw, world):
    assert gw.status(avatar(world), world["tok"]["expired"]) == 401


def test_revoked_session_is_401(gw, world):
    assert gw.status(avatar(world), world["tok"]["revoked"]) == 401


def test_inactive_user_is_401(gw, world):
    assert gw.status(avatar(world), world["tok"]["IU"]) == 401


def test_inactive_membership_is_401(gw, world):
    assert gw.status(avatar(world), world["tok"]["IM"]) == 401


def test_mfa_required_but_not_verified_is_401(gw, world):
    assert gw.status("/v1/me/avatar", world["tok"]["MU"]) == 401


def test_mfa_required_and_verified_passes_authentication(gw, world):
    # MU has no image and the default no-image mode draws initials.
    assert gw.status("/v1/me/avatar", world["tok"]["MU_ok"]) == 200


def test_avatar_in_other_organisation_is_404(gw, world):
    assert gw.status(avatar(world), world["tok"]["O"]) == 404


def test_avatar_by_plain_member_of_shared_organisation_is_302(gw, world):
    r = gw.request(avatar(world), world["tok"]["P"])
    assert r.status == 302
    assert r.getheader("Location").startswith(
        "http://127.0.0.1:9/%s/u/s/avatar.png?" % BUCKET)


def test_signature_by_plain_member_is_404(gw, world):
    assert gw.status(signature(world), world["tok"]["P"]) == 404


def test_signature_by_admin_is_302(gw, world):
    assert gw.status(signature(world), world["tok"]["AD"]) == 302


def test_own_signature_is_302(gw, world):
    assert gw.status(signature(world), world["tok"]["S"]) == 302
    assert gw.status("/v1/me/signature", world["tok"]["S"]) == 302


def test_nonexistent_user_is_404(gw, world):
    assert gw.status("/v1/users/987654321/avatar", world["tok"]["P"]) == 404


def test_non_numeric_user_id_is_404_not_500(gw, world):
    assert gw.status("/v1/users/abc/avatar", world["tok"]["P"]) == 404


def test_inactive_subject_is_invisible(gw, world):
    assert gw.status(avatar(world, "IU"), world["tok"]["P"]) == 404
