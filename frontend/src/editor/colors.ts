// One colour per folder. Folders take palette colours in the order they first appear
// in a model, so a model's folders never share a colour until the palette runs out;
// a folder outside that list gets a colour from its name, the same every time.

export const PALETTE: readonly string[] = [
  "#2f6fde", // blue
  "#d9480f", // orange
  "#2b8a3e", // green
  "#ae3ec9", // purple
  "#c92a2a", // red
  "#0c8599", // teal
  "#e8590c", // amber
  "#5c7cfa", // indigo
  "#a61e4d", // wine
  "#5f3dc4", // violet
  "#087f5b", // emerald
  "#845ef7", // lavender
];

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

export function folderColor(folder: string, folders: readonly string[] = []): string {
  const i = folders.indexOf(folder);
  const index = i >= 0 ? i % PALETTE.length : hashString(folder) % PALETTE.length;
  return PALETTE[index] ?? "#2f6fde";
}

/** `#rrggbb` with an alpha, as rgba(). */
export function withAlpha(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}
