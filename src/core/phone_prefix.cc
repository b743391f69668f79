/* Phone search prefixes, using libphonenumber for the region's calling code. */
#include "core/phone_prefix.h"

#include <phonenumbers/phonenumberutil.h>

#include <cstdio>
#include <string>

extern "C" {
#include "core/text.h"
}

int phone_prefix_normalize(const char *q, const char *region, char *out, size_t cap)
{
    try {
        char ascii[128];
        int n = text_digits_to_ascii(q, std::char_traits<char>::length(q), ascii, sizeof(ascii));
        if (n < 0)
            return -1;
        std::string digits;
        bool plus = false;
        for (int i = 0; i < n; i++) {
            if (ascii[i] >= '0' && ascii[i] <= '9')
                digits.push_back(ascii[i]);
            else if (ascii[i] == '+' && digits.empty())
                plus = true;
        }
        if (digits.empty())
            return -1;
        std::string prefix;
        if (plus) {
            prefix = "+" + digits;
        } else if (digits.compare(0, 2, "00") == 0) {
            prefix = "+" + digits.substr(2);
        } else if (digits[0] == '0') {
            int cc = i18n::phonenumbers::PhoneNumberUtil::GetInstance()->GetCountryCodeForRegion(region ? region : "");
            if (cc == 0)
                return -1;
            prefix = "+" + std::to_string(cc) + digits.substr(1);
        } else {
            prefix = "+" + digits;
        }
        if (prefix.size() + 1 > cap)
            return -1;
        std::snprintf(out, cap, "%s", prefix.c_str());
        return 0;
    } catch (...) {
        return -1;
    }
}
