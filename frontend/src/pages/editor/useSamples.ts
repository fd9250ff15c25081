// The samples kept with the model being edited: listed, added from a file or from a
// past extraction's kept picture, removed. `version` grows with every change, so what
// depends on the samples (their check) runs again.

import { useCallback, useEffect, useState } from "preact/hooks";
import { addSample, addSampleFromExtraction, deleteSample, listSamples } from "../../api/client";
import { explain } from "../../api/problem";
import type { Sample } from "../../api/types";

export interface Samples {
  readonly items: readonly Sample[];
  readonly loaded: boolean;
  readonly version: number;
  /** What is under way: "Adding scan.jpg…", or null. */
  readonly busy: string | null;
  readonly failure: string | null;
  add(file: File): Promise<void>;
  addFromExtraction(extractionId: string, name: string): Promise<void>;
  remove(sample: Sample): Promise<void>;
}

export function useSamples(modelId: string, enabled: boolean): Samples {
  const [items, setItems] = useState<readonly Sample[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [version, setVersion] = useState(0);
  const [busy, setBusy] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => {
    if (!enabled) return;
    let live = true;
    listSamples(modelId).then(
      (page) => {
        if (!live) return;
        setItems(page.items);
        setLoaded(true);
      },
      (e: unknown) => live && setFailure(`The samples could not be loaded. ${explain(e)}`),
    );
    return () => {
      live = false;
    };
  }, [modelId, enabled]);

  const run = useCallback(async (what: string, work: () => Promise<void>, failed: string): Promise<void> => {
    setBusy(what);
    setFailure(null);
    try {
      await work();
      setVersion((v) => v + 1);
    } catch (e) {
      setFailure(`${failed} ${explain(e)}`);
    } finally {
      setBusy(null);
    }
  }, []);

  const add = useCallback(
    (file: File) =>
      run(
        `Adding ${file.name}…`,
        async () => {
          const sample = await addSample(modelId, file);
          setItems((list) => [...list, sample]);
        },
        `${file.name} was not added.`,
      ),
    [modelId, run],
  );

  const addFromExtraction = useCallback(
    (extractionId: string, name: string) =>
      run(
        `Adding ${name}…`,
        async () => {
          const sample = await addSampleFromExtraction(modelId, extractionId);
          setItems((list) => [...list, sample]);
        },
        `${name} was not added.`,
      ),
    [modelId, run],
  );

  const remove = useCallback(
    (sample: Sample) =>
      run(
        `Removing ${sample.filename}…`,
        async () => {
          await deleteSample(modelId, sample.id);
          setItems((list) => list.filter((s) => s.id !== sample.id));
        },
        `${sample.filename} was not removed.`,
      ),
    [modelId, run],
  );

  return { items, loaded, version, busy, failure, add, addFromExtraction, remove };
}
