// HTML templates of the dashboard, as tagged template literals checked by tsc. Guarantee: every value
// interpolated into `html` is escaped (text and attribute contexts alike: & < > " ' are replaced), unless
// it is itself the result of `html` (or of `raw`, which only this folder's own constant markup uses),
// so a node's name, label or health value can never become markup. The output is a string, UTF-8 once
// sent; lone surrogates in stored text were repaired by the store (SPEC §7), never reach here.

/** Markup that is already safe (the result of `html`). */
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** `s` with the five characters that matter in HTML text and quoted attributes replaced. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** What may be interpolated: text (escaped), numbers, markup, lists of them; null, undefined and false render nothing. */
export type Interpolation = string | number | SafeHtml | null | undefined | false | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return (value as readonly Interpolation[]).map(render).join('');
  return escapeHtml(String(value));
}

/** The template's markup with every interpolation escaped. */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** Constant markup written in this folder (never data). */
export const raw = (markup: string) => new SafeHtml(markup);
