// A new key's secret, shown this once with a "Copy" button; Zonecut keeps only its hash.

import type { ApiKeyCreated } from "../../api/types";
import { SecretShownOnce } from "../../components/SecretShownOnce";

export function SecretDialog({ created, onClose }: { created: ApiKeyCreated | null; onClose: () => void }) {
  return (
    <SecretShownOnce
      secret={created?.secret ?? null}
      title={`API key “${created?.name ?? ""}” created`}
      label="Secret"
      what="the key"
      warning={
        <>
          <strong>This is shown only once.</strong> Copy the key now and keep it somewhere safe: Zonecut stores only a
          hash of it and cannot show it again. If it is lost, revoke it and make a new one.
        </>
      }
      onClose={onClose}
    >
      <p class="muted">
        Send it as <code>Authorization: Bearer {created?.prefix ?? "zc_"}…</code>, or give it to the command line as{" "}
        <code>--api-key</code> or <code>ZONECUT_API_KEY</code>.
      </p>
    </SecretShownOnce>
  );
}
