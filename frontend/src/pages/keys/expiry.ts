// A key's expiry as people pick it (a day) and as the API takes it (an instant).

/** The end of `day` ("2025-03-31") in the browser's time zone, as RFC 3339; "" is null. */
export function expiryFromDay(day: string): string | null {
  if (day === "") return null;
  const at = new Date(`${day}T23:59:59`);
  if (Number.isNaN(at.getTime())) throw new RangeError(`not a day: ${day}`);
  return at.toISOString();
}

/** Today in the browser's time zone, as an <input type="date"> value. */
export function today(now: Date = new Date()): string {
  const pad = (n: number): string => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export type KeyStatus = "active" | "expired" | "revoked";

export function keyStatus(key: { revoked_at: string | null; expires_at: string | null }, now = Date.now()): KeyStatus {
  if (key.revoked_at !== null) return "revoked";
  if (key.expires_at !== null && Date.parse(key.expires_at) <= now) return "expired";
  return "active";
}
