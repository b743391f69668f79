/*
 * phone.cc: the C interface of phone.h over libphonenumber's PhoneNumberUtil.
 *
 * Invariant: no C++ exception crosses into C; every entry point catches everything and reports
 * failure as -1 (or false). Input is first reduced to an optional "+" and ASCII digits here, so
 * libphonenumber never sees letters (it would read "1-800-FLOWERS" or "ext. 12" as digits).
 * PhoneNumberUtil::GetInstance() is a thread-safe singleton and its methods are const.
 */
#include "core/phone.h"

#include <cstdint>
#include <cstring>
#include <string>

#include <phonenumbers/phonenumberutil.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "core/text.h"

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

namespace {

/* Longer raw input is not a phone number however it is spaced; 128 bytes leaves room for
 * two-byte Persian digits and generous punctuation. */
constexpr size_t phone_input_max = 128;

/* Region code libphonenumber uses for "unknown": the number must then start with "+". */
constexpr const char *phone_region_unknown = "ZZ";

const char *const phone_why_not_number = "is not a phone number";
const char *const phone_why_short = "is too short";
const char *const phone_why_long = "is too long";
const char *const phone_why_country = "has an unknown country code";
const char *const phone_why_need_country = "needs a country code such as +98";
const char *const phone_why_area = "is missing the area code";
const char *const phone_why_length = "has the wrong number of digits for its country";

int phone_fail(const char **why, const char *message)
{
    if (why != nullptr) {
        *why = message;
    }
    return -1;
}

/* Separators people write inside numbers; they carry no meaning and are dropped. */
bool phone_is_separator(UChar32 c)
{
    return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')';
}

/* Reduces normalised text (ASCII digits already) to "+digits" or "digits", reading a leading
 * "00" as "+". Bidi controls (LRM, RLM, ...), which text copied from right-to-left pages
 * carries around numbers, are dropped. Returns false when anything else appears. */
bool phone_reduce(const char *s, std::string *digits)
{
    const uint8_t *u = reinterpret_cast<const uint8_t *>(s);
    int32_t n = static_cast<int32_t>(strlen(s));
    int32_t i = 0;
    bool plus = false;
    while (i < n) {
        UChar32 c;
        U8_NEXT(u, i, n, c);
        if (c >= '0' && c <= '9') {
            digits->push_back(static_cast<char>(c));
        } else if (c == '+' && digits->empty() && !plus) {
            plus = true;
        } else if (c < 0 || !(phone_is_separator(c) || u_hasBinaryProperty(c, UCHAR_BIDI_CONTROL))) {
            return false;
        }
    }
    if (digits->empty()) {
        return false;
    }
    if (!plus && digits->compare(0, 2, "00") == 0) {
        digits->erase(0, 2);
        plus = true;
    }
    if (plus) {
        digits->insert(0, 1, '+');
    }
    return true;
}

/* Upper-cases a two-letter ASCII region into out[3]; false when region is not two letters. */
bool phone_region_upper(const char *region, char out[3])
{
    if (region == nullptr) {
        return false;
    }
    for (int i = 0; i < 2; i++) {
        char c = region[i];
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
        if (c < 'A' || c > 'Z') {
            return false;
        }
        out[i] = c;
    }
    out[2] = '\0';
    return region[2] == '\0';
}

bool phone_region_known(const char *region)
{
    char upper[3];
    if (!phone_region_upper(region, upper)) {
        return false;
    }
    /* GetCountryCodeForRegion answers 0 for regions without metadata (and for "ZZ"). */
    return PhoneNumberUtil::GetInstance()->GetCountryCodeForRegion(upper) != 0;
}

const char *phone_parse_error(PhoneNumberUtil::ErrorType e)
{
    switch (e) {
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
        return phone_why_country;
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
    case PhoneNumberUtil::TOO_SHORT_NSN:
        return phone_why_short;
    case PhoneNumberUtil::TOO_LONG_NSN:
        return phone_why_long;
    default:
        return phone_why_not_number;
    }
}

/* nullptr when the number is possible (with its area code), else why not. */
const char *phone_possible_error(PhoneNumberUtil::ValidationResult r)
{
    switch (r) {
    case PhoneNumberUtil::IS_POSSIBLE:
        return nullptr;
    case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY:
        /* Dialable only inside its area: stored as E.164 it would name a different number. */
        return phone_why_area;
    case PhoneNumberUtil::INVALID_COUNTRY_CODE:
        return phone_why_country;
    case PhoneNumberUtil::TOO_SHORT:
        return phone_why_short;
    case PhoneNumberUtil::TOO_LONG:
        return phone_why_long;
    default:
        return phone_why_length;
    }
}

/* Country calling codes for the fast path below: their national prefix for parsing is only "0" (no carrier codes,
 * no transform rule), and no shorter prefix of them is a calling code, so for "+<code><digits not starting with
 * 0>" Parse keeps the digits as they are. Only codes checked against Parse belong here. */
const int phone_fast_codes[] = {98, 49};

/* The fast path: input already in E.164 ("+989121234567", nothing else), as imports and the API mostly send.
 * Why: Parse runs several ICU regular expressions per number, the dearest step of a bulk import. For these inputs
 * Parse would extract the same country code and national number, so the same possibility check decides and the
 * E.164 form is the input itself. Returns false (the caller takes the full path) whenever it is not sure, and for
 * every number that is not possible, so errors always come from the full path. */
bool phone_e164_fast(const char *in, size_t len, char *out, size_t cap)
{
    if (len < 4 || len > 16 || in[0] != '+' || len + 1 > cap) {
        return false;
    }
    for (size_t i = 1; i < len; i++) {
        if (in[i] < '0' || in[i] > '9') {
            return false;
        }
    }
    int code = (in[1] - '0') * 10 + (in[2] - '0');
    bool known = false;
    for (int c : phone_fast_codes) {
        known = known || c == code;
    }
    if (!known || in[3] == '0') {
        return false;
    }
    uint64_t national = 0;
    for (size_t i = 3; i < len; i++) {
        national = national * 10 + static_cast<uint64_t>(in[i] - '0');
    }
    PhoneNumber number;
    number.set_country_code(code);
    number.set_national_number(national);
    if (PhoneNumberUtil::GetInstance()->IsPossibleNumberWithReason(number) != PhoneNumberUtil::IS_POSSIBLE) {
        return false;
    }
    memcpy(out, in, len);
    out[len] = '\0';
    return true;
}

int phone_normalize_cc(const char *in, const char *default_region, char *out, size_t cap,
                       const char **why)
{
    size_t len = strnlen(in, phone_input_max + 1);
    if (len > phone_input_max) {
        return phone_fail(why, phone_why_long);
    }
    if (phone_e164_fast(in, len, out, cap)) {
        return 0;
    }
    char text[phone_input_max + 1];
    if (text_normalize_persian(in, len, text, sizeof text) < 0) {
        return phone_fail(why, phone_why_not_number);
    }
    std::string digits;
    if (!phone_reduce(text, &digits)) {
        return phone_fail(why, phone_why_not_number);
    }
    char region[3];
    bool has_region = phone_region_known(default_region) && phone_region_upper(default_region, region);
    if (digits[0] != '+' && !has_region) {
        return phone_fail(why, phone_why_need_country);
    }
    const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
    PhoneNumber number;
    PhoneNumberUtil::ErrorType e = util->Parse(digits, has_region ? region : phone_region_unknown, &number);
    if (e != PhoneNumberUtil::NO_PARSING_ERROR) {
        return phone_fail(why, phone_parse_error(e));
    }
    const char *not_possible = phone_possible_error(util->IsPossibleNumberWithReason(number));
    if (not_possible != nullptr) {
        return phone_fail(why, not_possible);
    }
    std::string e164;
    util->Format(number, PhoneNumberUtil::E164, &e164);
    if (e164.size() + 1 > cap) {
        return phone_fail(why, phone_why_long);
    }
    memcpy(out, e164.c_str(), e164.size() + 1);
    return 0;
}

} // namespace

extern "C" int phone_normalize(const char *in, const char *default_region, char *out, size_t cap,
                               const char **why)
{
    if (out == nullptr || cap == 0) {
        return phone_fail(why, phone_why_long);
    }
    out[0] = '\0';
    if (in == nullptr) {
        return phone_fail(why, phone_why_not_number);
    }
    try {
        return phone_normalize_cc(in, default_region, out, cap, why);
    } catch (...) {
        out[0] = '\0';
        return phone_fail(why, phone_why_not_number);
    }
}

extern "C" bool phone_region_valid(const char *region)
{
    try {
        return phone_region_known(region);
    } catch (...) {
        return false;
    }
}
