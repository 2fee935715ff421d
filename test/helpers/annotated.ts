/** Bytes from annotated hex: one field per line, `#` comments, whitespace ignored. */
export function annotated(text: string): Uint8Array {
  const hex = text.split('\n').map((l) => l.replace(/#.*/, '')).join('').replace(/\s+/g, '');
  if (hex.length % 2 || /[^0-9a-f]/i.test(hex)) throw new Error(`bad annotated hex: ${hex}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}
