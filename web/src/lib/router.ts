// A small history router: the address's path is the page; ?lang= stays in the address when moving between
// pages (the language chosen outright); links are plain <a href> elements, so they work by keyboard too.
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();

function keepLang(to: string): string {
  const lang = new URLSearchParams(location.search).get('lang');
  if (!lang || to.includes('lang=')) return to;
  return to + (to.includes('?') ? '&' : '?') + 'lang=' + encodeURIComponent(lang);
}

export function navigate(to: string, replace = false): void {
  const url = keepLang(to);
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  listeners.forEach((fn) => fn());
  window.scrollTo(0, 0);
}

window.addEventListener('popstate', () => listeners.forEach((fn) => fn()));

/** The current path, re-rendering on navigation. */
export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const fn = () => setPath(location.pathname);
    listeners.add(fn);
    return () => {
      listeners.delete(fn);
    };
  }, []);
  return path;
}

/** Clicks on same-origin links move within the app instead of loading the page again. */
export function interceptLinks(): void {
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element).closest?.('a');
    if (!a || a.target || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
    e.preventDefault();
    navigate(url.pathname + url.search);
  });
}

/** Matches "/members/:id" against a path; the named parts, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/'), s = path.replace(/\/+$/, '').split('/');
  if (p.length !== s.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) out[p[i].slice(1)] = decodeURIComponent(s[i]);
    else if (p[i] !== s[i]) return null;
  }
  return out;
}

/** An href for the app that keeps ?lang=. */
export function href(to: string): string {
  return keepLang(to);
}
