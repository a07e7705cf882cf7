/** Whether a URL may become a link: http(s) only, never `javascript:`, `data:` or a scheme-relative `//host`. */
export function isHttpUrl(url: string): boolean {
  return /^https?:\/\/[^/]/i.test(url);
}
