// What Save would change on the samples: a row per sample, green when nothing changes,
// the zones that do with their crops before and after, a refused sample with its reason.
// Informative only: it never stands between the person and Save.

import type { SampleCheck, SampleDiff, ZoneDiff } from "../../api/types";

const ZONE_STATUS: Readonly<Record<ZoneDiff["status"], string>> = {
  new: "new",
  removed: "removed",
  unchanged: "unchanged",
  moved: "moved",
  changed: "resized",
  refused: "cannot be cut",
};

function percent(share: number | null | undefined): string {
  if (share === null || share === undefined) return "";
  const value = share * 100;
  return `${value < 1 ? value.toFixed(1) : Math.round(value)} % of pixels differ`;
}

function sampleSummary(sample: SampleDiff): string {
  if (sample.status === "refused") return `refused: ${sample.detail ?? "it no longer aligns"}`;
  const changed = sample.zones.filter((z) => z.status !== "unchanged").length;
  if (changed === 0) return "nothing changes";
  return changed === 1 ? "1 zone changes" : `${changed} zones change`;
}

function Crop({ url, alt }: { url: string | undefined; alt: string }) {
  if (url === undefined) return <span class="diff-crop diff-crop-none">none</span>;
  return (
    <span class="diff-crop">
      <img src={url} alt={alt} loading="lazy" decoding="async" />
    </span>
  );
}

function ZoneRow({ zone }: { zone: ZoneDiff }) {
  const share = zone.status === "moved" || zone.status === "changed" ? percent(zone.changed_share) : "";
  return (
    <li class={`diff-zone is-${zone.status}`}>
      <span class="diff-zone-name">
        <strong>{zone.name}</strong> {ZONE_STATUS[zone.status]}
        {share && <span class="muted"> · {share}</span>}
      </span>
      {zone.status === "refused" ? (
        <span class="diff-zone-detail">{zone.detail}</span>
      ) : (
        <span class="diff-crops">
          <Crop url={zone.before?.url} alt={`${zone.name} before`} />
          <span aria-hidden="true">→</span>
          <Crop url={zone.after?.url} alt={`${zone.name} after`} />
        </span>
      )}
    </li>
  );
}

export function SampleDiffList({ check, pending }: { check: SampleCheck; pending: boolean }) {
  return (
    <ul class={`sample-diffs${pending ? " is-pending" : ""}`} aria-label="What Save changes on the samples">
      {check.samples.map((sample) => {
        const changed = sample.zones.filter((z) => z.status !== "unchanged");
        return (
          <li key={sample.sample_id} class={`sample-diff is-${sample.status}`}>
            <div class="sample-diff-head">
              <img class="sample-diff-thumb" src={sample.thumbnail_url} alt="" />
              <span class="sample-diff-name" title={sample.filename}>
                {sample.filename}
              </span>
              <span class="sample-diff-summary">{sampleSummary(sample)}</span>
            </div>
            {sample.status !== "refused" && changed.length > 0 && (
              <ul class="diff-zones">
                {changed.map((zone) => (
                  <ZoneRow key={`${zone.zone_id ?? "new"}-${zone.index ?? "gone"}-${zone.name}`} zone={zone} />
                ))}
              </ul>
            )}
          </li>
        );
      })}
    </ul>
  );
}
