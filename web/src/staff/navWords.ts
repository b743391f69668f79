// The management pages' names in the console's menu, in English and Persian (their other words are in
// staff/consoleWords.ts, loaded with the pages).
import { useI18n } from '../lib/i18n';

const en = {
  navRewards: 'Rewards',
  navTiers: 'Tiers',
  navRules: 'Earning rules',
  navProgramme: 'Programme',
  navSegments: 'Segments',
  navUsers: 'Users',
  navApiKeys: 'API keys',
  navAudit: 'Audit log',
  navSurveys: 'Surveys',
  navBroadcasts: 'Messages',
};

const fa: typeof en = {
  navRewards: 'جایزه‌ها',
  navTiers: 'سطح‌های عضویت',
  navRules: 'قانون‌های امتیازدهی',
  navProgramme: 'تنظیمات باشگاه',
  navSegments: 'گروه‌های مشتریان',
  navUsers: 'کاربران',
  navApiKeys: 'کلیدهای API',
  navAudit: 'سابقهٔ تغییرات',
  navSurveys: 'نظرسنجی‌ها',
  navBroadcasts: 'پیام‌ها',
};

export function useNavWords(): typeof en {
  return useI18n().lang === 'fa' ? fa : en;
}
