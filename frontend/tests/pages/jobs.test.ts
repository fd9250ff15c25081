import { describe, expect, it } from "vitest";
import { chooseJob, describeProgress, isActive, isDocument } from "../../src/pages/extract/jobs";

describe("which pictures go as jobs", () => {
  it("tells documents by type, else by name", () => {
    expect(isDocument({ name: "scan", type: "application/pdf" })).toBe(true);
    expect(isDocument({ name: "batch.TIF", type: "" })).toBe(true);
    expect(isDocument({ name: "photo.jpg", type: "image/jpeg" })).toBe(false);
  });

  it("cuts a document page by page as a job for a model of one page", () => {
    expect(chooseJob({ name: "day.pdf", type: "application/pdf" }, 1, false)).toEqual({ job: true, eachPage: true });
  });

  it("cuts a document with a model of as many pages while the page waits", () => {
    expect(chooseJob({ name: "form.pdf", type: "application/pdf" }, 3, false)).toEqual({
      job: false,
      eachPage: false,
    });
  });

  it("sends anything as a job when asked", () => {
    expect(chooseJob({ name: "a.png", type: "image/png" }, 1, true)).toEqual({ job: true, eachPage: false });
    expect(chooseJob({ name: "form.pdf", type: "" }, 3, true)).toEqual({ job: true, eachPage: false });
  });
});

describe("a job's progress in words", () => {
  it("counts pages once they are known", () => {
    expect(describeProgress({ progress: { done: 12, total: 300 }, parts: 1 })).toBe("12 of 300 pages");
    expect(describeProgress({ progress: { done: 0, total: null }, parts: 1 })).toBe("counting the pages…");
    expect(describeProgress({ progress: { done: 3, total: null }, parts: 1 })).toBe("3 pages so far");
    expect(describeProgress({ progress: { done: 1, total: 5 }, parts: 5 })).toBe("1 of 5 items");
  });

  it("knows queued and running jobs may still change", () => {
    expect(isActive({ status: "queued" })).toBe(true);
    expect(isActive({ status: "running" })).toBe(true);
    expect(isActive({ status: "cancelled" })).toBe(false);
  });
});
