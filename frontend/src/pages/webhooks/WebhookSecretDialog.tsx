// A new webhook's signing secret, shown this once with a "Copy" button.

import type { WebhookCreated } from "../../api/types";
import { SecretShownOnce } from "../../components/SecretShownOnce";

export function WebhookSecretDialog({ created, onClose }: { created: WebhookCreated | null; onClose: () => void }) {
  return (
    <SecretShownOnce
      secret={created?.secret ?? null}
      title="Webhook created"
      label="Signing secret"
      what="the secret"
      warning={
        <>
          <strong>This is shown only once.</strong> The receiver checks every delivery's <code>webhook-signature</code>{" "}
          with this secret: copy it to the receiver now.
        </>
      }
      onClose={onClose}
    />
  );
}
