import { describe, expect, it } from "vitest";
import { crc32, zipBytes } from "../../src/lib/zip";

const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
const u16 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint16(at, true);

describe("zip", () => {
  it("computes the standard CRC-32", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array())).toBe(0);
  });

  it("writes stored entries and a central directory that points at them", () => {
    const a = new TextEncoder().encode("hello");
    const b = new Uint8Array([1, 2, 3]);
    const zip = zipBytes([
      { name: "signatures/a.png", data: a, date: new Date(2024, 0, 2, 3, 4, 6) },
      { name: "totals/b.png", data: b },
    ]);
    expect(u32(zip, 0)).toBe(0x04034b50);
    const end = zip.length - 22;
    expect(u32(zip, end)).toBe(0x06054b50);
    expect(u16(zip, end + 10)).toBe(2);
    const centralStart = u32(zip, end + 16);
    expect(u32(zip, centralStart)).toBe(0x02014b50);
    expect(u32(zip, centralStart + 16)).toBe(crc32(a));
    expect(u32(zip, centralStart + 42)).toBe(0);
    const nameLength = u16(zip, 26);
    expect(new TextDecoder().decode(zip.subarray(30, 30 + nameLength))).toBe("signatures/a.png");
    expect(zip.subarray(30 + nameLength, 30 + nameLength + 5)).toEqual(a);
    const secondLocal = u32(zip, centralStart + 46 + nameLength + 42);
    expect(u32(zip, secondLocal)).toBe(0x04034b50);
  });
});
