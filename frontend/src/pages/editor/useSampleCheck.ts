// The samples check while editing: once the zones have not changed for a moment, the
// working zones are sent to POST …/samples/check (nothing is saved) and the answer says
// what Save would change on every sample. A newer edit cancels the check under way.

import { useEffect, useState } from "preact/hooks";
import { checkSamples } from "../../api/client";
import { ApiError, explain } from "../../api/problem";
import type { Model, SampleCheck } from "../../api/types";
import type { ZoneDoc } from "../../editor/document";
import { zonesForSave } from "./zonesForSave";

/** How long the zones stay still before the samples are checked. */
export const CHECK_PAUSE_MS = 500;

export type SampleCheckStatus =
  /** Nothing to check: no samples, or the zones are as saved. */
  | "idle"
  /** Waiting for the pause, or the check is under way. */
  | "checking"
  | "done"
  /** The working zones could not be saved as they are, or the check failed. */
  | "failed";

export interface SampleCheckState {
  readonly status: SampleCheckStatus;
  /** The answer for the zones as they are now (status "done"). */
  readonly result: SampleCheck | null;
  readonly error: string | null;
}

const IDLE: SampleCheckState = { status: "idle", result: null, error: null };

export function useSampleCheck(
  model: Model,
  doc: ZoneDoc,
  dirty: boolean,
  gesture: boolean,
  sampleCount: number,
  /** Grows when the samples change, so the check runs again. */
  samplesVersion: number,
): SampleCheckState {
  const [state, setState] = useState<SampleCheckState>(IDLE);
  useEffect(() => {
    if (!dirty || sampleCount === 0) {
      setState(IDLE);
      return;
    }
    setState((s) => ({ status: "checking", result: s.result, error: null }));
    if (gesture) return; // a drag under way: check where it ends
    const abort = new AbortController();
    const timer = window.setTimeout(() => {
      const zones = zonesForSave(doc, new Set(model.zones.map((z) => z.id)));
      checkSamples(model.id, zones, abort.signal).then(
        (result) => setState({ status: "done", result, error: null }),
        (e: unknown) => {
          if (abort.signal.aborted) return;
          const reason =
            e instanceof ApiError && e.fieldErrors.length > 0
              ? "The samples are checked once the zones could be saved: " + explain(e)
              : `The samples could not be checked. ${explain(e)}`;
          setState({ status: "failed", result: null, error: reason });
        },
      );
    }, CHECK_PAUSE_MS);
    return () => {
      window.clearTimeout(timer);
      abort.abort();
    };
  }, [model, doc, dirty, gesture, sampleCount, samplesVersion]);
  return state;
}

/** What the check says, in a few words, and how it looks: for the chip beside Save. */
export function checkSummary(state: SampleCheckState, sampleCount: number): { text: string; tone: string } | null {
  if (sampleCount === 0) return null;
  const samples = sampleCount === 1 ? "1 sample" : `${sampleCount} samples`;
  if (state.status === "idle") return { text: `${samples} kept`, tone: "neutral" };
  if (state.status === "checking") return { text: `Checking ${samples}…`, tone: "neutral" };
  if (state.status === "failed" || state.result === null) return { text: "Samples not checked", tone: "warning" };
  const { changed, refused, unchanged } = state.result;
  if (refused > 0) return { text: `${refused} of ${samples} refused`, tone: "danger" };
  if (changed > 0) return { text: `${changed} of ${samples} change`, tone: "warning" };
  return { text: `${unchanged === 1 ? "Sample" : "Samples"} unchanged`, tone: "success" };
}
