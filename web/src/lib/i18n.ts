// Languages: English and Persian (the words are GLOSSARY.md's). The language is, in order: ?lang=fa or ?lang=en
// in the address (chosen outright), the signed-in member's own locale (portal), the browser's languages.
// Persian sets dir="rtl" on <html>, Persian digits and the Jalali calendar (Intl's fa-IR-u-ca-persian).
import { useEffect, useState } from 'preact/hooks';
import { en, fa, type Words } from './words';

export type Lang = 'fa' | 'en';

const dictionaries: Record<Lang, Words> = { en, fa };

function fromAddress(): Lang | null {
  const v = new URLSearchParams(location.search).get('lang');
  return v === 'fa' || v === 'en' ? v : null;
}

function fromBrowser(): Lang {
  const langs = navigator.languages?.length ? navigator.languages : [navigator.language];
  for (const l of langs) {
    const base = (l || '').toLowerCase().split('-')[0];
    if (base === 'fa' || base === 'en') return base;
  }
  return 'en';
}

let current: Lang = fromAddress() ?? fromBrowser();
const listeners = new Set<(l: Lang) => void>();

function apply(l: Lang) {
  document.documentElement.lang = l;
  document.documentElement.dir = l === 'fa' ? 'rtl' : 'ltr';
  document.title = dictionaries[l].appTitle;
}
apply(current);

export function getLang(): Lang {
  return current;
}

/** Chooses the language; explicit (the switch) also writes ?lang= into the address so a reload keeps it. */
export function setLang(l: Lang, explicit = false): void {
  if (explicit) {
    const url = new URL(location.href);
    url.searchParams.set('lang', l);
    history.replaceState(history.state, '', url);
  }
  if (l === current) return;
  current = l;
  apply(l);
  listeners.forEach((fn) => fn(l));
}

/** A default that ?lang= overrides: the member's own locale. */
export function preferLang(l: string | null | undefined): void {
  if (!fromAddress() && (l === 'fa' || l === 'en')) setLang(l);
}

export interface I18n {
  lang: Lang;
  t: Words;
  /** A number with the language's digits and grouping. */
  num: (n: number) => string;
  /** Points, signed when asked: "+150". */
  pts: (n: number, signed?: boolean) => string;
  /** An amount of money in minor units of currency. */
  money: (minor: number, currency: string, minorUnits: number) => string;
  /** A date and time from an RFC 3339 string (Jalali for fa). */
  date: (iso: string | null | undefined, withTime?: boolean) => string;
  /** A name in the language, from a record with name_en and name_fa. */
  name: (r: { name_en?: string | null; name_fa?: string | null } | null | undefined) => string;
}

function make(lang: Lang): I18n {
  const locale = lang === 'fa' ? 'fa-IR' : 'en-US';
  const nf = new Intl.NumberFormat(locale);
  const signed = new Intl.NumberFormat(locale, { signDisplay: 'exceptZero' });
  const dateLocale = lang === 'fa' ? 'fa-IR-u-ca-persian' : 'en-GB';
  const df = new Intl.DateTimeFormat(dateLocale, { dateStyle: 'medium' });
  const dtf = new Intl.DateTimeFormat(dateLocale, { dateStyle: 'medium', timeStyle: 'short' });
  return {
    lang,
    t: dictionaries[lang],
    num: (n) => nf.format(n),
    pts: (n, s = false) => (s ? signed : nf).format(n),
    money: (minor, currency, minorUnits) => {
      const value = minor / Math.pow(10, minorUnits);
      try {
        return new Intl.NumberFormat(locale, {
          style: 'currency',
          currency,
          minimumFractionDigits: minorUnits,
          maximumFractionDigits: minorUnits,
        }).format(value);
      } catch {
        return `${nf.format(value)} ${currency}`;
      }
    },
    date: (iso, withTime = true) => {
      if (!iso) return '—';
      const d = new Date(iso);
      return Number.isNaN(d.getTime()) ? '—' : (withTime ? dtf : df).format(d);
    },
    name: (r) => (r ? (lang === 'fa' ? r.name_fa || r.name_en : r.name_en || r.name_fa) || '' : ''),
  };
}

const cache: Partial<Record<Lang, I18n>> = {};
export function i18n(l: Lang = current): I18n {
  return (cache[l] ??= make(l));
}

/** The current language's helpers; re-renders the component when the language changes. */
export function useI18n(): I18n {
  const [lang, set] = useState<Lang>(current);
  useEffect(() => {
    listeners.add(set);
    set(current);
    return () => {
      listeners.delete(set);
    };
  }, []);
  return i18n(lang);
}

/** Persian and Arabic-Indic digits typed by a user, as ASCII (the API stores ASCII digits). */
export function asciiDigits(s: string): string {
  return s
    .replace(/[\u06F0-\u06F9]/g, (d) => String(d.charCodeAt(0) - 0x06f0))
    .replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x0660));
}

/** ASCII digits in s shown in the language's digits (phones, sign-in codes); other characters as they are. */
export function localDigits(s: string, lang: Lang = current): string {
  return lang === 'fa' ? s.replace(/[0-9]/g, (d) => String.fromCharCode(0x06f0 + Number(d))) : s;
}
