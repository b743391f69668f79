"""API tests for surveys: questions checked field by field; the planner; invitations to contacts stratified by
kind with a recorded seed (the same seed draws the same people), each with a one-use link in the message outbox
written in the same commit; answering through the link (wrong types, a reused link, a closed survey: problem+json
naming the field, nothing written); points through the survey_answered event; anonymous mode (no link between
person and answer, the day only); results with coverage and margin of error computed by hand, NPS with its
interval, CSAT, groups under k hidden; CSV export. The tests read the outbox and the survey tables in the server's
SQLite file to find the links (as a delivery worker would) and to check what was stored."""

import csv
import io
import math
import os
import sqlite3
import sys

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import API, assert_problem  # noqa: E402

SURVEYS = API + "/surveys"
DAY_MS = 86400 * 1000
T0 = 1772323200000 + 5 * 3600 * 1000 + 1234  # 2026-03-01T05:00:01.234Z
Z = 1.959963984540054

QUESTIONS = [
    {"key": "score", "type": "nps", "text_en": "Would you recommend us?", "text_fa": "ما را توصیه می‌کنید؟"},
    {"key": "service", "type": "rating", "text_en": "Service", "text_fa": "خدمات"},
    {"key": "visit", "type": "single", "text_en": "How often?", "text_fa": "چند وقت یک بار؟",
     "options": [{"key": "weekly", "text_en": "Weekly", "text_fa": "هفتگی"},
                 {"key": "monthly", "text_en": "Monthly", "text_fa": "ماهانه"}]},
    {"key": "likes", "type": "multiple", "text_en": "What do you like?", "text_fa": "چه چیزی را دوست دارید؟",
     "required": False,
     "options": [{"key": "price", "text_en": "Price", "text_fa": "قیمت"},
                 {"key": "staff", "text_en": "Staff", "text_fa": "کارکنان"},
                 {"key": "range", "text_en": "Range", "text_fa": "تنوع"}]},
    {"key": "note", "type": "text", "text_en": "Anything else?", "text_fa": "نکته دیگری؟", "required": False},
]


def answer(score, service, visit="weekly", likes=None, note=None):
    a = {"score": score, "service": service, "visit": visit}
    if likes is not None:
        a["likes"] = likes
    if note is not None:
        a["note"] = note
    return {"answers": a}


class SurveyCase(harness.ServerCase):
    server_kwargs = {"clock_ms": T0}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        c = cls.owner
        cls.staff, cls.partners, cls.press = [], [], []
        for i in range(20):
            cls.staff.append(cls.contact(kind="staff", given_name="S%d" % i, email="s%d@club.example" % i,
                                         consent={"email": True}))
        for i in range(10):
            cls.partners.append(cls.contact(kind="partner", given_name="P%d" % i, phone="0912%07d" % (1000 + i),
                                            consent={"sms": True}, locale="en"))
        for i in range(2):  # no consent: drawn but not reachable
            cls.press.append(cls.contact(kind="press", given_name="R%d" % i, email="r%d@news.example" % i))
        assert c.get(API + "/contacts?limit=1").status == 200

    @classmethod
    def contact(cls, **body):
        r = cls.owner.post(API + "/contacts", body)
        assert r.status == 201, r
        return r.body["id"]

    def db(self):
        return sqlite3.connect("file:%s?mode=ro" % os.path.join(self.server.data_dir, "bashgah.db"), uri=True)

    def survey(self, **extra):
        body = {"title_en": "How are we doing?", "title_fa": "چطور هستیم؟", "questions": QUESTIONS}
        body.update(extra)
        r = self.owner.post(SURVEYS, body)
        self.assertEqual(r.status, 201, r)
        return r.body

    def invite(self, sid, body, status=201):
        r = self.owner.post("%s/%d/invitations" % (SURVEYS, sid), body)
        self.assertEqual(r.status, status, r)
        return r.body

    def links(self, sid):
        """{(person_kind, person_id): link} from the outbox rows of the survey's invitations."""
        import json
        with self.db() as db:
            rows = db.execute("SELECT data, destination FROM message_outbox WHERE kind = 'survey_invitation'").fetchall()
            inv = db.execute("SELECT person_kind, person_id, channel FROM survey_invitations WHERE survey_id = ? "
                             "ORDER BY id", (sid,)).fetchall()
        links = [json.loads(d)["link"] for d, _ in rows if json.loads(d)["survey_id"] == sid]
        self.assertEqual(len(links), len(inv))
        return {(k, i): link for (k, i, _), link in zip(inv, links)}

    def invited(self, sid):
        with self.db() as db:
            return sorted(r[0] for r in db.execute("SELECT person_id FROM survey_invitations WHERE survey_id = ?",
                                                    (sid,)))


class QuestionsTest(SurveyCase):

    def test_bad_questions_name_the_field(self):
        bad = [dict(QUESTIONS[0], type="stars")]
        assert_problem(self, self.owner.post(SURVEYS, {"title_en": "a", "title_fa": "b", "questions": bad}), 400,
                       "validation", "questions[0].type")
        one_option = [dict(QUESTIONS[2], options=QUESTIONS[2]["options"][:1])]
        assert_problem(self, self.owner.post(SURVEYS, {"title_en": "a", "title_fa": "b", "questions": one_option}),
                       400, "validation", "questions[0].options")
        twice = [QUESTIONS[0], dict(QUESTIONS[1], key="score")]
        assert_problem(self, self.owner.post(SURVEYS, {"title_en": "a", "title_fa": "b", "questions": twice}), 400,
                       "validation", "questions[1].key")
        no_fa = [{k: v for k, v in QUESTIONS[0].items() if k != "text_fa"}]
        assert_problem(self, self.owner.post(SURVEYS, {"title_en": "a", "title_fa": "b", "questions": no_fa}), 400,
                       "validation", "questions[0].text_fa")
        assert_problem(self, self.owner.post(SURVEYS, {"title_en": "a", "questions": QUESTIONS}), 400, "validation",
                       "title_fa")
        assert_problem(self, self.owner.post(SURVEYS, {"title_en": "a", "title_fa": "b", "questions": QUESTIONS,
                                                       "opens_at": "2026-03-02T00:00:00Z",
                                                       "closes_at": "2026-03-01T00:00:00Z"}), 400, "validation",
                       "closes_at")
        self.assertEqual(self.owner.get(SURVEYS).body["items"], [])

    def test_crud_and_fixed_once_invited(self):
        s = self.survey()
        self.assertEqual(s["k_min"], 5)
        self.assertEqual(s["target_permille"], 100)
        self.assertTrue(all(q["required"] is (q.get("key") not in ("likes", "note")) for q in s["questions"]))
        r = self.owner.patch("%s/%d" % (SURVEYS, s["id"]), {"title_en": "Renamed", "k_min": 3})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.body["title_en"], r.body["k_min"]), ("Renamed", 3))
        self.assertEqual(self.owner.get("%s/%d" % (SURVEYS, s["id"])).body, r.body)
        self.invite(s["id"], {"audience": {"contact_kind": "press"}})
        assert_problem(self, self.owner.patch("%s/%d" % (SURVEYS, s["id"]), {"questions": QUESTIONS[:1]}), 400,
                       "validation", "questions")
        assert_problem(self, self.owner.delete("%s/%d" % (SURVEYS, s["id"])), 409, "conflict", "id")
        other = self.survey()
        self.assertEqual(self.owner.delete("%s/%d" % (SURVEYS, other["id"])).status, 204)
        assert_problem(self, self.owner.get("%s/%d" % (SURVEYS, other["id"])), 404, "not-found")

    def test_planner(self):
        # worked example (docs/surveys.md): N = 1000, e = 5%, 50% response -> 278 answers, invite 556
        r = self.owner.get(SURVEYS + "/plan?population=1000&margin_of_error=0.05&response_rate=0.5")
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.body["answers_needed"], r.body["invite"], r.body["capped"]), (278, 556, False))
        r = self.owner.get(SURVEYS + "/plan?population=1000&margin_of_error=0.05&response_rate=0.25")
        self.assertEqual((r.body["invite"], r.body["capped"]), (1000, True))
        assert_problem(self, self.owner.get(SURVEYS + "/plan?population=1000&margin_of_error=2"), 400, "validation",
                       "margin_of_error")
        assert_problem(self, self.owner.get(SURVEYS + "/plan?margin_of_error=0.05"), 400, "validation", "population")


class InvitationsTest(SurveyCase):

    def test_stratified_sample_is_reproducible_and_reaches_each_stratum(self):
        s = self.survey()
        body = {"audience": {"contact_kind": "all"}, "stratify_by": "kind", "sample": {"share": 0.2}, "seed": 7}
        rep = self.invite(s["id"], body)
        # 32 people, 20% -> 7 drawn: proportional 4.375, 2.1875, 0.4375 -> 4, 2, 0 and the leftover to press (the
        # largest remainder) -> 4, 2, 1; at least 10% of each (2, 1, 1) holds. Press has no consent: unreachable.
        self.assertEqual(rep["seed"], 7)
        self.assertEqual((rep["population"], rep["drawn"], rep["invited"], rep["unreachable"]), (32, 7, 6, 1))
        by = {x["stratum"]: x for x in rep["strata"]}
        self.assertEqual({k: (v["population"], v["drawn"], v["invited"]) for k, v in by.items()},
                         {"staff": (20, 4, 4), "partner": (10, 2, 2), "press": (2, 1, 0)})
        first = self.invited(s["id"])
        again = self.survey()
        self.invite(again["id"], body)
        self.assertEqual(self.invited(again["id"]), first)           # same seed, same people
        other = self.survey()
        self.invite(other["id"], dict(body, seed=8))
        self.assertNotEqual(self.invited(other["id"]), first)
        # each invitation's link sits in the outbox on the person's channel, in their locale
        with self.db() as db:
            rows = db.execute("SELECT i.person_id, m.channel, m.destination, m.locale, i.token_hash FROM "
                              "survey_invitations i JOIN message_outbox m ON m.kind = 'survey_invitation' AND "
                              "json_extract(m.data, '$.survey_id') = i.survey_id AND m.id IN (SELECT id FROM "
                              "message_outbox) WHERE i.survey_id = ?", (s["id"],)).fetchall()
            chans = db.execute("SELECT channel, count(*) FROM message_outbox WHERE kind = 'survey_invitation' AND "
                               "json_extract(data, '$.survey_id') = ? GROUP BY channel", (s["id"],)).fetchall()
        self.assertEqual(dict(chans), {"email": 4, "sms": 2})
        self.assertTrue(all(len(r[4]) == 32 for r in rows))          # a hash is kept, not the token
        links = self.links(s["id"])
        with self.db() as db:
            kept = [r[0] for r in db.execute("SELECT token_hash FROM survey_invitations")]
        for link in links.values():
            self.assertTrue(link.startswith("/s/") and len(link) == 46, link)
            self.assertNotIn(link[3:].encode(), kept)
        # a second wave does not invite anyone twice
        rep = self.invite(s["id"], dict(body, sample=None))
        self.assertEqual(rep["invited"], 0 + 30 - 6)
        self.assertEqual(rep["already_invited"], 6)

    def test_a_segment_as_the_audience(self):
        ids = []
        for i in range(4):
            r = self.owner.post(API + "/members", {"given_name": "G%d" % i, "email": "g%d@m.example" % i,
                                                   "consent": {"email": i != 3}})
            self.assertEqual(r.status, 201, r)
            ids.append(r.body["id"])
        g = self.owner.post(API + "/segments", {"name": "panel", "members": ids[1:]})
        self.assertEqual(g.status, 201, g)
        s = self.survey()
        rep = self.invite(s["id"], {"audience": {"segment": g.body["id"]}, "stratify_by": "class", "seed": 3})
        # three members, all prospects; the one without consent is drawn but unreachable
        self.assertEqual((rep["population"], rep["drawn"], rep["invited"], rep["unreachable"]), (3, 3, 2, 1))
        self.assertEqual([x["stratum"] for x in rep["strata"]], ["prospect"])
        self.assertEqual(self.invited(s["id"]), ids[1:3])
        assert_problem(self, self.owner.post("%s/%d/invitations" % (SURVEYS, s["id"]),
                                             {"audience": {"segment": 999999}}), 400, "validation", "audience.segment")

    def test_bad_invitations_name_the_field(self):
        s = self.survey()
        for body, field in [({}, "audience"), ({"audience": {"planet": "mars"}}, "audience"),
                            ({"audience": {"members": "some"}}, "audience.members"),
                            ({"audience": {"contact_kind": "enemy"}}, "audience.contact_kind"),
                            ({"audience": {"members": "all"}, "sample": {"count": 0}}, "sample.count"),
                            ({"audience": {"members": "all"}, "sample": {"share": 1.5}}, "sample.share"),
                            ({"audience": {"members": "all"}, "seed": -1}, "seed"),
                            ({"audience": {"members": "all"}, "stratify_by": "kind"}, "stratify_by")]:
            assert_problem(self, self.owner.post("%s/%d/invitations" % (SURVEYS, s["id"]), body), 400,
                           "validation", field)
        assert_problem(self, self.owner.post("%s/%d/invitations" % (SURVEYS, 999999),
                                             {"audience": {"members": "all"}}), 404, "not-found")
        self.assertEqual(self.invited(s["id"]), [])


class AnswersTest(SurveyCase):

    def test_flow_errors_results_and_export(self):
        s = self.survey(k_min=3)
        sid = s["id"]
        self.invite(sid, {"audience": {"contact_kind": "all"}, "stratify_by": "kind", "seed": 1})
        links = self.links(sid)
        staff = [links[("contact", i)] for i in self.staff]
        partners = [links[("contact", i)] for i in self.partners]
        pub = self.server.client()
        r = pub.get(staff[0])
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.body["title_fa"], r.body["open"], r.body["answered"]), ("چطور هستیم؟", True, False))
        assert_problem(self, pub.get("/s/" + "x" * 43), 404, "not-found", "token")
        # wrong types: each named, nothing written
        assert_problem(self, pub.post(staff[0], answer(11, 3)), 400, "validation", "answers.score")
        assert_problem(self, pub.post(staff[0], answer(9, 0)), 400, "validation", "answers.service")
        assert_problem(self, pub.post(staff[0], answer(9, 3, visit="daily")), 400, "validation", "answers.visit")
        assert_problem(self, pub.post(staff[0], answer(9, 3, likes=["price", "price"])), 400, "validation",
                       "answers.likes")
        assert_problem(self, pub.post(staff[0], {"answers": {"score": 9}}), 400, "validation", "answers.service")
        assert_problem(self, pub.post(staff[0], {"answers": dict(answer(9, 3)["answers"], extra=1)}), 400,
                       "validation", "answers.extra")
        with self.db() as db:
            self.assertEqual(db.execute("SELECT count(*) FROM survey_responses").fetchone()[0], 0)
        # staff: 10 10 9 9 9 8 7 6 3 0 (the worked NPS example), ratings 5 4 4 3 2 5 1 4 5 5
        scores = [10, 10, 9, 9, 9, 8, 7, 6, 3, 0]
        ratings = [5, 4, 4, 3, 2, 5, 1, 4, 5, 5]
        for i, (sc, ra) in enumerate(zip(scores, ratings)):
            r = pub.post(staff[i], answer(sc, ra, likes=["price"] if i % 2 else ["staff", "range"],
                                          note="note %d" % i if i < 2 else None))
            self.assertEqual(r.status, 201, r)
        assert_problem(self, pub.post(staff[0], answer(9, 3)), 409, "link-used", "token")
        r = pub.post(partners[0], answer(10, 5, visit="monthly"))        # partners: 1 answer < k = 3
        self.assertEqual(r.status, 201, r)
        res = self.owner.get("%s/%d/results" % (SURVEYS, sid))
        self.assertEqual(res.status, 200, res)
        b = res.body
        cov = {x["stratum"]: x for x in b["coverage"]["strata"]}
        # staff: 10 of 20 answered -> 50% >= 10%; margin 1.96 * sqrt(.25/10) * sqrt(10/19)
        self.assertEqual((cov["staff"]["population"], cov["staff"]["invited"], cov["staff"]["answered"]), (20, 20, 10))
        self.assertAlmostEqual(cov["staff"]["coverage_pct"], 50.0)
        self.assertTrue(cov["staff"]["meets_target"])
        self.assertAlmostEqual(cov["staff"]["margin_of_error"], Z * math.sqrt(0.25 / 10) * math.sqrt(10 / 19), 6)
        # partners: 1 of 10 -> 10% meets the 10% target exactly; press: nobody reachable, nobody answered
        self.assertAlmostEqual(cov["partner"]["coverage_pct"], 10.0)
        self.assertTrue(cov["partner"]["meets_target"])
        self.assertEqual((cov["press"]["invited"], cov["press"]["answered"], cov["press"]["margin_of_error"]),
                         (0, 0, None))
        self.assertFalse(cov["press"]["meets_target"])
        total = b["coverage"]["total"]
        self.assertEqual((total["population"], total["invited"], total["answered"]), (32, 30, 11))
        self.assertAlmostEqual(total["coverage_pct"], 1100 / 32)
        # NPS over all 11: promoters 6, passives 2, detractors 3 -> 100 * (6 - 3) / 11
        p, d = 6 / 11, 3 / 11
        se = math.sqrt((p + d - (p - d) ** 2) / 11)
        self.assertAlmostEqual(b["nps"]["score"], 100 * (p - d), 6)
        self.assertAlmostEqual(b["nps"]["low"], 100 * (p - d) - 100 * Z * se, 6)
        self.assertAlmostEqual(b["nps"]["high"], 100 * (p - d) + 100 * Z * se, 6)
        q = {x["key"]: x for x in b["questions"]}
        self.assertEqual(q["service"]["counts"], [1, 1, 1, 3, 5])
        self.assertAlmostEqual(q["service"]["csat"], 800 / 11)        # 3 fours + 5 fives of 11
        self.assertEqual(q["visit"]["counts"], {"weekly": 10, "monthly": 1})
        self.assertEqual(q["likes"]["counts"], {"price": 5, "staff": 5, "range": 5})
        self.assertEqual(sorted(q["note"]["texts"]), ["note 0", "note 1"])
        strata = {x["stratum"]: x for x in b["strata"]}
        self.assertFalse(strata["staff"]["hidden"])
        self.assertAlmostEqual({x["key"]: x for x in strata["staff"]["questions"]}["score"]["nps"]["low"],
                               20 - 100 * Z * math.sqrt(0.076), 6)
        self.assertTrue(strata["partner"]["hidden"])                   # 1 answer < k = 3
        self.assertIsNone(strata["partner"]["questions"])
        # CSV export: a header and one line per answer
        r = self.owner.get("%s/%d/export" % (SURVEYS, sid))
        self.assertEqual(r.status, 200, r)
        rows = list(csv.reader(io.StringIO(r.raw.decode())))
        self.assertEqual(rows[0], ["stratum", "answered_at", "score", "service", "visit", "likes", "note"])
        self.assertEqual(len(rows), 12)
        self.assertIn(["staff", rows[1][1], "10", "5", "weekly", "staff;range", "note 0"], rows)
        # closed: the answer is refused, naming the field, and nothing is written
        self.server.set_clock(T0 + DAY_MS)
        self.assertEqual(self.owner.patch("%s/%d" % (SURVEYS, sid), {"closes_at": "2026-03-02T00:00:00Z"}).status, 200)
        assert_problem(self, pub.post(staff[15], answer(9, 3)), 409, "survey-closed", "closes_at")
        self.assertFalse(pub.get(staff[15]).body["open"])
        with self.db() as db:
            self.assertEqual(db.execute("SELECT count(*) FROM survey_responses WHERE survey_id = ?",
                                        (sid,)).fetchone()[0], 11)
        self.server.set_clock(T0)

    def test_small_groups_hidden_and_export_refused(self):
        s = self.survey()           # k = 5
        self.invite(s["id"], {"audience": {"contact_kind": "partner"}})
        links = list(self.links(s["id"]).values())
        pub = self.server.client()
        for link in links[:4]:
            self.assertEqual(pub.post(link, answer(9, 4)).status, 201)
        b = self.owner.get("%s/%d/results" % (SURVEYS, s["id"])).body
        self.assertTrue(b["hidden"])
        self.assertIsNone(b["questions"])
        self.assertIsNone(b["nps"])
        self.assertEqual(b["coverage"]["total"]["answered"], 4)
        assert_problem(self, self.owner.get("%s/%d/export" % (SURVEYS, s["id"])), 409, "too-few-answers", "k_min")
        self.assertEqual(pub.post(links[4], answer(9, 4)).status, 201)
        b = self.owner.get("%s/%d/results" % (SURVEYS, s["id"])).body
        self.assertFalse(b["hidden"])
        self.assertEqual(b["nps"]["score"], 100)


class AnonymityAndPointsTest(SurveyCase):

    def member(self, name):
        r = self.owner.post(API + "/members", {"given_name": name, "email": "%s@m.example" % name.lower(),
                                               "consent": {"email": True}})
        self.assertEqual(r.status, 201, r)
        return r.body["id"]

    def test_anonymous_answers_keep_no_link_and_the_day_only(self):
        a, b = self.member("Ana"), self.member("Bob")
        s = self.survey(anonymous=True, k_min=1)
        rep = self.invite(s["id"], {"audience": {"members": "all"}})
        self.assertEqual(rep["invited"], 2)
        links = self.links(s["id"])
        pub = self.server.client()
        self.assertEqual(pub.post(links[("member", a)], answer(10, 5)).status, 201)
        self.assertEqual(pub.post(links[("member", b)], answer(0, 1)).status, 201)
        with self.db() as db:
            resp = db.execute("SELECT invitation_id, answered_at FROM survey_responses WHERE survey_id = ?",
                              (s["id"],)).fetchall()
            inv = db.execute("SELECT answered_at FROM survey_invitations WHERE survey_id = ?", (s["id"],)).fetchall()
            # no points either: a posting's time would tie the person to the answer
            ev = db.execute("SELECT count(*) FROM events WHERE type = 'survey_answered'").fetchone()[0]
        day = T0 - T0 % DAY_MS
        self.assertEqual(resp, [(None, day), (None, day)])
        self.assertEqual(inv, [(day,), (day,)])
        self.assertEqual(ev, 0)
        r = self.owner.get("%s/%d/export" % (SURVEYS, s["id"]))
        self.assertEqual(r.raw.decode().splitlines()[0].split(",")[1], "answered_on")

    def test_answering_earns_points_through_the_survey_answered_rule(self):
        r = self.owner.post(API + "/rules", {"name": "thanks for answering", "event": "survey_answered",
                                             "priority": 1, "definition": {"kind": "bonus", "points": 50}})
        self.assertEqual(r.status, 201, r)
        m = self.member("Cyrus")
        s = self.survey()
        self.invite(s["id"], {"audience": {"members": "all"}})
        link = self.links(s["id"])[("member", m)]
        self.assertEqual(self.server.client().post(link, answer(8, 4)).status, 201)
        pts = self.owner.get(API + "/members/%d" % m).body["points"]
        self.assertEqual(pts["available"] + pts["pending"], 50, pts)


class RemindersTest(SurveyCase):

    def outbox(self, sid):
        import json
        with self.db() as db:
            rows = db.execute("SELECT ref_id, locale, data, subject, body_text FROM message_outbox "
                              "WHERE kind = 'survey_invitation' ORDER BY id").fetchall()
        # the message's data with its subject and text (outbox columns of their own) beside it
        return [(ref, loc, dict(json.loads(d), subject=subj, text=text)) for ref, loc, d, subj, text in rows
                if json.loads(d)["survey_id"] == sid]

    def wait_for(self, sid, count):
        import time
        for _ in range(100):
            rows = self.outbox(sid)
            if len(rows) >= count:
                return rows
            time.sleep(0.1)
        return self.outbox(sid)

    def test_reminders_after_n_days_at_most_m_times(self):
        s = self.survey(reminder_days=2, reminder_max=1)
        sid = s["id"]
        self.invite(sid, {"audience": {"contact_kind": "partner"}})
        first = self.outbox(sid)
        self.assertEqual(len(first), 10)
        self.assertTrue(all(loc == "en" and "Please answer here" in d["text"] and d["reminder"] == 0
                            for _, loc, d in first), first[0])
        pub = self.server.client()
        self.assertEqual(pub.post(first[0][2]["link"], answer(9, 4)).status, 201)
        self.server.set_clock(T0 + 1 * DAY_MS)           # not yet due
        import time
        time.sleep(0.5)
        self.assertEqual(len(self.outbox(sid)), 10)
        self.server.set_clock(T0 + 2 * DAY_MS + 1000)    # due: the nine who did not answer
        rows = self.wait_for(sid, 19)
        reminders = rows[10:]
        self.assertEqual(len(reminders), 9, rows)
        self.assertTrue(all(d["reminder"] == 1 and d["text"].startswith("Reminder: ") for _, _, d in reminders))
        self.assertNotIn(first[0][0], [ref for ref, _, _ in reminders])   # the one who answered is left alone
        old = [d["link"] for ref, _, d in first if ref == reminders[0][0]][0]
        assert_problem(self, pub.post(old, answer(9, 4)), 404, "not-found", "token")   # the old link died
        self.assertEqual(pub.post(reminders[0][2]["link"], answer(9, 4)).status, 201)
        self.server.set_clock(T0 + 6 * DAY_MS)           # at most one reminder
        time.sleep(0.8)
        self.assertEqual(len(self.outbox(sid)), 19)
        self.server.set_clock(T0)


class RolesTest(SurveyCase):

    def test_who_may_read_and_write(self):
        analyst = self.server.client(self.server.apikey("analyst"))
        cashier = self.server.client(self.server.apikey("cashier"))
        s = self.survey()
        self.assertEqual(analyst.get("%s/%d/results" % (SURVEYS, s["id"])).status, 200)
        assert_problem(self, analyst.post("%s/%d/invitations" % (SURVEYS, s["id"]),
                                          {"audience": {"members": "all"}}), 403)
        assert_problem(self, cashier.get(SURVEYS), 403)


if __name__ == "__main__":
    harness.main()
