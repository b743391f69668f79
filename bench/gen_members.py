#!/usr/bin/python3
"""bench/gen_members.py: writes a member CSV for `bashgah member import` (the benchmark's data set).

Every row is valid under the import contract: unique external_ref (C-0000001...), phone (+98 91x, a
bijection of the row number, so unique without a lookup table) and email; a mix of Persian and English
names; about 90% with a birthday, Persian-calendar ones valid in that calendar; time zones Asia/Tehran,
Europe/Berlin, UTC; locale fa/en; attributes a JSON object. The same --seed gives the same file.

Phones here use the MCI prefixes 912-919 and 990; bench/post_member.lua uses 935/936, so members created
during the write benchmark never collide with imported ones.

Usage: gen_members.py [--count N] [--out FILE|-] [--seed S]     (defaults 1000000, stdout, 1)
Python 3 standard library only; about 1-2 s per million rows.
"""
import argparse
import random
import sys

HEADER = ("external_ref,given_name,family_name,phone,email,birthday,birthday_calendar,"
          "time_zone,locale,kind,consent_email,consent_sms,attributes\n")

# (written name, Latin spelling for the email address)
PERSIAN_GIVEN = [
    ("سارا", "sara"), ("مریم", "maryam"), ("زهرا", "zahra"), ("فاطمه", "fatemeh"), ("نگار", "negar"),
    ("لیلا", "leila"), ("شیرین", "shirin"), ("الهام", "elham"), ("یاسمن", "yasaman"), ("پریا", "parya"),
    ("کیمیا", "kimia"), ("علی", "ali"), ("محمد", "mohammad"), ("رضا", "reza"), ("حسین", "hossein"),
    ("مهدی", "mahdi"), ("امیر", "amir"), ("کیان", "kian"), ("آرش", "arash"), ("بهرام", "bahram"),
    ("نیما", "nima"), ("سینا", "sina"), ("پویا", "pouya"), ("کوروش", "kourosh"),
]
PERSIAN_FAMILY = [
    ("احمدی", "ahmadi"), ("محمدی", "mohammadi"), ("حسینی", "hosseini"), ("رضایی", "rezaei"),
    ("کریمی", "karimi"), ("موسوی", "mousavi"), ("جعفری", "jafari"), ("صادقی", "sadeghi"),
    ("قاسمی", "ghasemi"), ("نوری", "nouri"), ("کاظمی", "kazemi"), ("تهرانی", "tehrani"),
    ("یزدانی", "yazdani"), ("شریفی", "sharifi"), ("رحیمی", "rahimi"), ("اکبری", "akbari"),
]
ENGLISH_GIVEN = [
    ("Anna", "anna"), ("Ben", "ben"), ("Clara", "clara"), ("David", "david"), ("Emma", "emma"),
    ("Felix", "felix"), ("Hannah", "hannah"), ("Jonas", "jonas"), ("Laura", "laura"), ("Lukas", "lukas"),
    ("Mia", "mia"), ("Noah", "noah"), ("Olivia", "olivia"), ("Paul", "paul"), ("Sophie", "sophie"),
    ("Thomas", "thomas"),
]
ENGLISH_FAMILY = [
    ("Schmidt", "schmidt"), ("Müller", "mueller"), ("Smith", "smith"), ("Johnson", "johnson"),
    ("Weber", "weber"), ("Fischer", "fischer"), ("Brown", "brown"), ("Wagner", "wagner"),
    ("Becker", "becker"), ("Taylor", "taylor"), ("Hoffmann", "hoffmann"), ("Wilson", "wilson"),
]
# Persian names as written by people abroad (Latin letters).
LATIN_PERSIAN_GIVEN = [(latin.capitalize(), latin) for _, latin in PERSIAN_GIVEN]
LATIN_PERSIAN_FAMILY = [(latin.capitalize(), latin) for _, latin in PERSIAN_FAMILY]

DOMAINS = ["example.com", "example.org", "mail.example.ir", "example.net"]
PHONE_PREFIXES = ["912", "919", "913", "917", "990"]  # one block of 10^7 subscribers each
PHONE_BLOCK = 10_000_000
PHONE_MULTIPLIER = 1_234_567  # coprime with 10^7, so i -> i*M mod 10^7 is a bijection

# CSV-quoted JSON objects; which list depends on where the member lives.
def _quoted(json_text):
    return '"' + json_text.replace('"', '""') + '"'

ATTRS_IRAN = [_quoted(t) for t in (
    '{"city":"Tehran"}', '{"city":"Tehran"}', '{"city":"Isfahan"}', '{"city":"Shiraz"}', '{"city":"Mashhad"}',
    '{"city":"Tabriz"}', '{"city":"تهران","source":"pos"}', '{"city":"Tehran","vip":true}', '{}',
    '{"city":"Karaj","children":2}')]
ATTRS_ABROAD = [_quoted(t) for t in (
    '{"city":"Berlin"}', '{"city":"Hamburg"}', '{"city":"Munich","source":"web"}', '{"city":"London"}', '{}')]

CONSENTS = ["true", "false", "true", "false", "1", "0", "", "false"]
PERSIAN_MONTH_DAYS = [31, 31, 31, 31, 31, 31, 30, 30, 30, 30, 30, 29]  # Esfand 30 only in leap years
GREGORIAN_MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def _dates(month_days, first_year, years):
    """Every valid date string of a span of years, so a row picks one with a single index."""
    return ["%04d-%02d-%02d" % (first_year + y, m + 1, d + 1)
            for y in range(years) for m in range(12) for d in range(month_days[m])]


PERSIAN_DATES = _dates(PERSIAN_MONTH_DAYS, 1330, 56)        # 1330..1385 (about 1951..2006)
GREGORIAN_DATES = _dates(GREGORIAN_MONTH_DAYS, 1950, 58)    # 1950..2007


def rows(count, seed):
    """Yields CSV lines (with newline) for rows 1..count."""
    rnd = random.Random(seed)
    bits = rnd.getrandbits
    np_, nd, ng = len(PERSIAN_DATES), len(GREGORIAN_DATES), len(CONSENTS)
    for i in range(count):
        r = bits(64)
        kind_of_person = r % 10  # 0-6 Iran (fa), 7 abroad with a Persian name (en), 8-9 abroad (en)
        r //= 10
        if kind_of_person < 7:
            given = PERSIAN_GIVEN[r % len(PERSIAN_GIVEN)]
            family = PERSIAN_FAMILY[(r >> 5) % len(PERSIAN_FAMILY)]
            locale = "fa"
            tz = "UTC" if (r >> 9) % 16 == 0 else "Asia/Tehran"
            attrs = ATTRS_IRAN[(r >> 13) % len(ATTRS_IRAN)]
        else:
            names = (LATIN_PERSIAN_GIVEN, LATIN_PERSIAN_FAMILY) if kind_of_person == 7 else (ENGLISH_GIVEN, ENGLISH_FAMILY)
            given = names[0][r % len(names[0])]
            family = names[1][(r >> 5) % len(names[1])]
            locale = "en"
            tz = "UTC" if (r >> 9) % 5 < 2 else "Europe/Berlin"
            attrs = ATTRS_ABROAD[(r >> 13) % len(ATTRS_ABROAD)]
        r >>= 17
        which_birthday = r % 10  # 0 none, 1-5 persian when in Iran, else gregorian
        r //= 10
        if which_birthday == 0:
            birthday, calendar = "", ""
        elif which_birthday <= 5 and locale == "fa":
            birthday, calendar = PERSIAN_DATES[r % np_], "persian"
        else:
            birthday, calendar = GREGORIAN_DATES[r % nd], ("gregorian" if which_birthday % 2 else "")
        r >>= 15
        n = i + 1
        phone = "+98%s%07d" % (PHONE_PREFIXES[i // PHONE_BLOCK], (i * PHONE_MULTIPLIER) % PHONE_BLOCK)
        email = "%s.%s.%d@%s" % (given[1], family[1], n, DOMAINS[r % 4])
        kind = "prospect" if (r >> 2) % 10 == 0 else "member"
        yield "C-%07d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n" % (
            n, given[0], family[0], phone, email, birthday, calendar, tz, locale, kind,
            CONSENTS[(r >> 6) % ng], CONSENTS[(r >> 9) % ng], attrs)


def main():
    ap = argparse.ArgumentParser(description="Write a member CSV for bashgah member import.")
    ap.add_argument("-n", "--count", type=int, default=1_000_000, help="number of rows (default 1000000)")
    ap.add_argument("-o", "--out", default="-", help="output file, - for stdout (default)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = ap.parse_args()
    if args.count < 0 or args.count > PHONE_BLOCK * len(PHONE_PREFIXES):
        ap.error("--count must be 0..%d" % (PHONE_BLOCK * len(PHONE_PREFIXES)))

    if args.out == "-":
        sys.stdout.reconfigure(encoding="utf-8", newline="")
        out = sys.stdout
    else:
        out = open(args.out, "w", encoding="utf-8", newline="")
    try:
        out.write(HEADER)
        batch = []
        for line in rows(args.count, args.seed):
            batch.append(line)
            if len(batch) == 10_000:
                out.write("".join(batch))
                batch.clear()
        out.write("".join(batch))
    finally:
        if out is not sys.stdout:
            out.close()
        else:
            out.flush()


if __name__ == "__main__":
    main()
