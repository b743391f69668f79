"""API tests for moments: create, get, list, patch and deactivate (DELETE), bad input answered with problem+json
naming the field and nothing written, roles; then the job on a server with a settable clock: members in Tehran, Los
Angeles and Auckland, with Gregorian and Persian birthdays, each get the gift once at 10:00 of their own day (an
oracle from Python's zoneinfo says when), a clock jump back or a second run gives nothing more, the holdout share
and the anniversary of joining; and a server killed with SIGKILL while it gives hundreds of gifts, restarted, gives
each exactly once (the grants, the ledger and `bashgah verify` agree)."""

import datetime
import os
import sqlite3
import sys
import time
import zoneinfo

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, RFC3339_MS, assert_problem, uniq  # noqa: E402

MOMENTS = API + "/moments"
MEMBERS = API + "/members"
HOUR_MS = 3600 * 1000
DAY_MS = 24 * HOUR_MS


def utc_ms(y, mo, d, h=0, mi=0):
    return int(datetime.datetime(y, mo, d, h, mi, tzinfo=datetime.timezone.utc).timestamp() * 1000)


def db(server, sql, *args):
    path = os.path.join(server.data_dir, "bashgah.db")
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


MESSAGE = {"channel": "email", "subject": {"en": "Happy birthday, {given_name}", "fa": "تولدت مبارک {given_name}"},
           "body": {"en": "{points} points for you", "fa": "{points} امتیاز هدیهٔ تولد"}}


class MomentsApiTest(harness.ServerCase):

    def create(self, **fields):
        body = {"name": "Birthday %d" % uniq(), "kind": "birthday", "gift": {"points": 100}, "send_hour": 10}
        body.update(fields)
        r = self.owner.post(MOMENTS, body)
        self.assertEqual(r.status, 201, r)
        return r.body

    def count(self):
        return len(self.owner.get(MOMENTS + "?limit=500").body["items"])

    def test_create_round_trips_and_defaults(self):
        body = {"name": "Birthday gift", "kind": "birthday", "gift": {"points": 500}, "message": MESSAGE,
                "send_hour": 9, "holdout_share": 0.05, "leap_policy": "after"}
        r = self.owner.post(MOMENTS, body)
        self.assertEqual(r.status, 201, r)
        m = r.body
        self.assertTrue(r.headers.get("Location").endswith("%s/%d" % (MOMENTS, m["id"])))
        self.assertEqual((m["name"], m["kind"], m["send_hour"], m["holdout_share"], m["leap_policy"], m["active"]),
                         ("Birthday gift", "birthday", 9, 0.05, "after", True))
        self.assertEqual(m["gift"], {"points": 500, "reward_id": None})
        self.assertEqual(m["message"], MESSAGE)
        self.assertRegex(m["created_at"], RFC3339_MS)
        self.assertEqual(self.owner.get("%s/%d" % (MOMENTS, m["id"])).body, m)
        d = self.create(gift={"points": 1})
        self.assertEqual((d["send_hour"], d["holdout_share"], d["leap_policy"], d["calendar"]),
                         (10, 0.0, "before", "gregorian"))
        ids = [x["id"] for x in self.owner.get(MOMENTS + "?limit=500").body["items"]]
        self.assertIn(m["id"], ids)
        self.assertIn(d["id"], ids)

    def test_patch_and_deactivate(self):
        m = self.create()
        r = self.owner.patch("%s/%d" % (MOMENTS, m["id"]), {"send_hour": 22, "gift": {"points": 250}})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.body["send_hour"], r.body["gift"]["points"]), (22, 250))
        assert_problem(self, self.owner.patch("%s/%d" % (MOMENTS, m["id"]), {"kind": "custom"}), 400, "validation",
                       field="kind")
        assert_problem(self, self.owner.patch("%s/%d" % (MOMENTS, m["id"]), {"gift": {"points": 0}}), 400,
                       "validation", field="gift")
        r = self.owner.delete("%s/%d" % (MOMENTS, m["id"]))
        self.assertEqual(r.status, 200, r)
        self.assertFalse(self.owner.get("%s/%d" % (MOMENTS, m["id"])).body["active"])
        assert_problem(self, self.owner.get("%s/999999" % MOMENTS), 404, "not-found")
        assert_problem(self, self.owner.patch("%s/999999" % MOMENTS, {"send_hour": 1}), 404, "not-found")
        self.assertEqual(self.owner.get("%s/%d/grants" % (MOMENTS, m["id"])).body, {"items": []})
        actions = [a["action"] for a in self.owner.get(API + "/audit?limit=500").body["items"]
                   if a["target"] == {"type": "moment", "id": m["id"]}]
        self.assertEqual(sorted(actions), ["moment.create", "moment.deactivate", "moment.update"])

    def test_bad_input_names_the_field_and_writes_nothing(self):
        before = self.count()
        cases = [
            ({"send_hour": 24}, "send_hour"),
            ({"send_hour": -1}, "send_hour"),
            ({"send_hour": "10"}, "send_hour"),
            ({"holdout_share": 1.5}, "holdout_share"),
            ({"holdout_share": -0.1}, "holdout_share"),
            ({"gift": {"reward_id": 999999}}, "gift.reward_id"),
            ({"gift": {"points": -5}}, "gift.points"),
            ({"gift": {"points": 0}}, "gift"),
            ({"kind": "wedding"}, "kind"),
            ({"kind": "custom"}, "attribute"),
            ({"kind": "custom", "attribute": "Bad Key;DROP"}, "attribute"),
            ({"leap_policy": "never"}, "leap_policy"),
            ({"calendar": "julian"}, "calendar"),
            ({"message": {"channel": "fax", "body": {"en": "x"}}}, "message.channel"),
            ({"message": {"channel": "email", "subject": {"en": "Hi {nobody}"}, "body": {"en": "x"}}},
             "message.subject.en"),
            ({"colour": "red"}, "colour"),
        ]
        for fields, field in cases:
            body = {"name": "Bad", "kind": "birthday", "gift": {"points": 10}}
            body.update(fields)
            assert_problem(self, self.owner.post(MOMENTS, body), 400, "validation", field=field)
        assert_problem(self, self.owner.post(MOMENTS, {"kind": "birthday", "gift": {"points": 1}}), 400,
                       "validation", field="name")
        self.assertEqual(self.count(), before)

    def test_roles(self):
        analyst = self.server.client(self.server.apikey("analyst"))
        cashier = self.server.client(self.server.apikey("cashier"))
        marketer = self.server.client(self.server.apikey("marketer"))
        self.assertEqual(analyst.get(MOMENTS).status, 200)
        assert_problem(self, analyst.post(MOMENTS, {"name": "x", "kind": "birthday", "gift": {"points": 1}}), 403)
        assert_problem(self, cashier.get(MOMENTS), 403)
        r = marketer.post(MOMENTS, {"name": "x", "kind": "anniversary", "gift": {"points": 1}})
        self.assertEqual(r.status, 201, r)

    def test_custom_moment_gets_its_index(self):
        m = self.create(kind="custom", attribute="wedding_day", calendar="persian")
        self.assertEqual((m["attribute"], m["calendar"]), ("wedding_day", "persian"))
        names = [n for (n,) in db(self.server, "SELECT name FROM sqlite_master WHERE type = 'index' AND "
                                               "tbl_name = 'members'")]
        self.assertIn("members_attr_md_wedding_day", names)


# 15 June 2025 (25 Khordad 1404). Members are made a year before, so that 15 June 2025 is also their first
# anniversary of joining.
JOINED = utc_ms(2024, 6, 15, 12)
PEOPLE = [  # (given name, zone, birthday, calendar)
    ("Tehran", "Asia/Tehran", "1990-06-15", "gregorian"),
    ("Angeles", "America/Los_Angeles", "1985-06-15", "gregorian"),
    ("Auckland", "Pacific/Auckland", "1992-06-15", "gregorian"),
    ("Jalali", "Asia/Tehran", "1370-03-25", "persian"),      # 25 Khordad: 15 June 2025
    ("JalaliLA", "America/Los_Angeles", "1365-03-25", "persian"),
    ("Tomorrow", "Asia/Tehran", "1990-06-16", "gregorian"),   # 16 June: not in the day's window for long
    ("Other", "Pacific/Auckland", "1990-01-01", "gregorian"),  # another day: never
]
GREGORIAN_OF = {"1370-03-25": (6, 15), "1365-03-25": (6, 15)}  # Jalali 25 Khordad in 2025


def due(zone, birthday, calendar, at_ms, hour=10):
    """The oracle: is it the member's birthday in their zone at at_ms, at or after the send hour?"""
    local = datetime.datetime.fromtimestamp(at_ms / 1000, zoneinfo.ZoneInfo(zone))
    md = GREGORIAN_OF[birthday] if calendar == "persian" else (int(birthday[5:7]), int(birthday[8:10]))
    return (local.month, local.day) == md and local.year == 2025 and local.hour >= hour


class PeopleCase(harness.ServerCase):
    """A server whose clock starts on the day PEOPLE join."""
    server_kwargs = {"clock_ms": JOINED}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.members = {}
        for name, zone, birthday, calendar in PEOPLE:
            r = cls.owner.post(MEMBERS, {"given_name": name, "time_zone": zone, "locale": "fa" if "Jalali" in name
                                         else "en", "birthday": {"date": birthday, "calendar": calendar},
                                         "email": "%s%d@example.com" % (name.lower(), uniq()),
                                         "consent": {"email": name != "Angeles", "sms": False}})
            assert r.status == 201, r
            cls.members[name] = r.body["id"]

    def grants(self, moment):
        r = self.owner.get("%s/%d/grants?limit=500" % (MOMENTS, moment))
        self.assertEqual(r.status, 200, r)
        return r.body["items"]

    def granted(self, moment):
        return {g["member_id"] for g in self.grants(moment)}

    def wait_for(self, moment, want, settle=1.5):
        """The job runs on the server's clock at its next tick: wait until the outcomes are `want`, and then a
        little longer, so that an extra gift would show."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.granted(moment) != want:
            time.sleep(0.1)
        time.sleep(settle)
        return self.granted(moment)


class MomentsJobTest(PeopleCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.set_clock(utc_ms(2025, 6, 14, 12))
        r = cls.owner.patch(API + "/programme", {"message_cost_email_minor": 250})
        assert r.status == 200, r
        r = cls.owner.post(MOMENTS, {"name": "Birthday", "kind": "birthday", "gift": {"points": 300},
                                     "message": MESSAGE, "send_hour": 10})
        assert r.status == 201, r
        cls.birthday = r.body["id"]

    def test_each_member_gets_the_gift_once_at_ten_local(self):
        ids = self.members
        steps = [utc_ms(2025, 6, 14, 12) + i * HOUR_MS for i in range(0, 48, 2)] + [utc_ms(2025, 6, 15, 6, 30)]
        steps.sort()
        want = set()
        for at in steps:
            self.server.set_clock(at)
            for name, zone, birthday, calendar in PEOPLE:
                if due(zone, birthday, calendar, at):
                    want.add(ids[name])
            got = self.wait_for(self.birthday, want, settle=0.6)
            self.assertEqual(got, want, "at %s" % datetime.datetime.fromtimestamp(at / 1000, datetime.timezone.utc))
        by_name = {n: ids[n] for n, _, _, _ in PEOPLE}
        self.assertEqual(want, {by_name[n] for n in ("Tehran", "Angeles", "Auckland", "Jalali", "JalaliLA", "Tomorrow")})
        # a clock jump back into the day and the same hour again: nothing more
        self.server.set_clock(utc_ms(2025, 6, 15, 8))
        time.sleep(1.0)
        self.server.set_clock(utc_ms(2025, 6, 16, 9))
        got = self.wait_for(self.birthday, want, settle=1.5)
        items = self.grants(self.birthday)
        self.assertEqual(len(items), len(want), items)
        for g in items:
            self.assertEqual((g["year"], g["outcome"], g["points"]), (1404 if g["member_id"] in (
                ids["Jalali"], ids["JalaliLA"]) else 2025, "granted", 300), g)
            self.assertEqual(g["message"], "no_consent" if g["member_id"] == ids["Angeles"] else "queued", g)
        # the ledger: 300 points each from moment:ID, and a points cost per gift
        for mid in want:
            m = self.owner.get("%s/%d" % (MEMBERS, mid)).body
            self.assertEqual(m["points"]["available"], 300, m)
        account = "moment:%d" % self.birthday
        self.assertEqual(db(self.server, "SELECT count(*), sum(points) FROM postings WHERE from_account = ?",
                            account), [(len(want), 300 * len(want))])
        self.assertEqual(db(self.server, "SELECT balance FROM club_accounts WHERE account = ?", account),
                         [(-300 * len(want),)])
        self.assertEqual(db(self.server, "SELECT count(*) FROM costs WHERE source = 'moment' AND category = 'points' "
                                         "AND note = ?", account), [(len(want),)])
        # and each email queued costs the programme's price of one, as a campaign's do (Angeles gave no consent)
        self.assertEqual(db(self.server, "SELECT count(*), sum(amount_minor) FROM costs WHERE source = 'moment' AND "
                                         "category = 'messages' AND note = ?", account),
                         [(len(want) - 1, 250 * (len(want) - 1))])
        # the message in the member's language, with a dedupe key
        rows = db(self.server, "SELECT subject, data FROM message_outbox WHERE kind = 'moment' AND member_id = ?",
                  ids["Jalali"])
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0][0], "تولدت مبارک Jalali")
        self.assertIn('"dedupe_key":"moment:%d:%d:1404"' % (self.birthday, ids["Jalali"]), rows[0][1])
        # a year on, again once
        self.server.set_clock(utc_ms(2026, 6, 15, 12))
        self.wait_for(self.birthday, want, settle=1.5)
        years = [g["year"] for g in self.grants(self.birthday) if g["member_id"] == ids["Tehran"]]
        self.assertEqual(sorted(years), [2025, 2026])
        p = self.server.cli("verify")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)



class MomentsAnniversaryTest(PeopleCase):

    def test_anniversary_with_full_holdout_gives_nothing_but_records(self):
        self.server.set_clock(utc_ms(2025, 6, 14, 12))
        r = self.owner.post(MOMENTS, {"name": "One year with us", "kind": "anniversary", "gift": {"points": 50},
                                      "send_hour": 0, "holdout_share": 1})
        self.assertEqual(r.status, 201, r)
        self.anniversary = r.body["id"]
        self.server.set_clock(utc_ms(2025, 6, 15, 13))  # 15 June in every zone of PEOPLE, past midnight
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(self.grants(self.anniversary)) < len(PEOPLE):
            time.sleep(0.2)
        items = self.grants(self.anniversary)
        self.assertEqual(len(items), len(PEOPLE), items)
        self.assertTrue(all(g["outcome"] == "holdout" and g["points"] == 0 and g["year"] == 2025 for g in items))
        self.assertEqual(db(self.server, "SELECT count(*) FROM postings WHERE from_account = ?",
                            "moment:%d" % self.anniversary), [(0,)])


class MomentsJalaliAnniversaryTest(harness.ServerCase):
    """Joined at 10:00 in Tehran on 20 March 2024, which was 1 Farvardin 1403: the Gregorian anniversary is 20 March
    2025 and the Jalali one 1 Farvardin 1404, which was 21 March 2025 (that year's equinox came after noon in
    Tehran, so Nowruz was the next day)."""
    server_kwargs = {"clock_ms": utc_ms(2024, 3, 20, 6, 30)}

    def test_an_anniversary_counts_in_its_own_calendar(self):
        r = self.owner.post(MEMBERS, {"given_name": "Nowruz", "time_zone": "Asia/Tehran"})
        self.assertEqual(r.status, 201, r)
        mid = r.body["id"]
        ids = {}
        for calendar in ("gregorian", "persian"):
            r = self.owner.post(MOMENTS, {"name": "A year (%s)" % calendar, "kind": "anniversary",
                                          "calendar": calendar, "gift": {"points": 10}, "send_hour": 0})
            self.assertEqual(r.status, 201, r)
            self.assertEqual(r.body["calendar"], calendar)
            ids[calendar] = r.body["id"]

        def granted(calendar):
            return [(g["member_id"], g["year"]) for g in
                    self.owner.get("%s/%d/grants" % (MOMENTS, ids[calendar])).body["items"]]

        def settle(calendar, want):
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and granted(calendar) != want:
                time.sleep(0.1)
            time.sleep(1.0)  # long enough for a gift that should not come to show
            return granted(calendar)

        self.server.set_clock(utc_ms(2025, 3, 20, 8, 30))  # 12:00 on 20 March in Tehran: 30 Esfand 1403
        self.assertEqual(settle("gregorian", [(mid, 2025)]), [(mid, 2025)])
        self.assertEqual(granted("persian"), [])
        self.server.set_clock(utc_ms(2025, 3, 20, 21, 0))  # 00:30 on 21 March in Tehran: 1 Farvardin 1404
        self.assertEqual(settle("persian", [(mid, 1404)]), [(mid, 1404)])
        self.assertEqual(granted("gregorian"), [(mid, 2025)])
        p = self.server.cli("verify")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


N_CRASH = 700


class MomentsCrashTest(harness.ServerCase):
    """Hundreds of birthdays at the same hour; the server is killed with SIGKILL while the job gives them."""
    server_kwargs = {"clock_ms": utc_ms(2025, 5, 1, 12)}

    def test_sigkill_mid_run_gives_each_gift_exactly_once(self):
        srv = self.server
        ids = []
        for i in range(N_CRASH):
            r = self.owner.post(MEMBERS, {"given_name": "C%d" % i, "time_zone": "Asia/Tehran",
                                          "birthday": {"date": "1990-06-15", "calendar": "gregorian"}})
            self.assertEqual(r.status, 201, r)
            ids.append(r.body["id"])
        r = self.owner.post(MOMENTS, {"name": "Crash birthday", "kind": "birthday", "gift": {"points": 40},
                                      "send_hour": 10, "message": {"channel": "inbox", "subject": {"en": "Hi"},
                                                                    "body": {"en": "A gift"}}})
        self.assertEqual(r.status, 201, r)
        mid = r.body["id"]
        srv.set_clock(utc_ms(2025, 6, 15, 7))  # 10:30 in Tehran
        count = lambda: db(srv, "SELECT count(*) FROM moment_grants WHERE moment_id = ?", mid)[0][0]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and count() == 0:
            time.sleep(0.005)
        srv.kill9()
        killed_at = count()
        self.assertLess(killed_at, N_CRASH, "the job finished before the kill: make N_CRASH larger")
        srv.restart()
        self.owner = srv.client(self.owner_key)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and count() < N_CRASH:
            time.sleep(0.1)
        time.sleep(1.5)
        self.assertEqual(count(), N_CRASH, "killed at %d" % killed_at)
        self.assertEqual(db(srv, "SELECT count(*), count(DISTINCT member_id) FROM moment_grants WHERE moment_id = ?",
                            mid), [(N_CRASH, N_CRASH)])
        self.assertEqual(db(srv, "SELECT count(*), sum(points) FROM postings WHERE from_account = ?",
                            "moment:%d" % mid), [(N_CRASH, 40 * N_CRASH)])
        self.assertEqual(db(srv, "SELECT count(*) FROM message_outbox WHERE kind = 'moment' AND ref_id = ?", mid),
                         [(N_CRASH,)])
        for m in ids[:: 50]:
            self.assertEqual(self.owner.get("%s/%d" % (MEMBERS, m)).body["points"]["available"], 40)
        p = srv.cli("verify")
        self.assertEqual(p.returncode, 0, "bashgah verify after kill -9:\n" + p.stdout + p.stderr)
        print("killed with %d of %d gifts given" % (killed_at, N_CRASH), file=sys.stderr)


if __name__ == "__main__":
    harness.main()
