// The shell: a header with the sections and the account menu, and the page for the
// current address — or, while nobody is signed in, the sign-in page in its place.

import { useEffect } from "preact/hooks";
import { explain } from "../api/problem";
import type { Me } from "../api/types";
import { ConfirmHost } from "../components/confirm";
import { Notice } from "../components/Notice";
import { SetupPage } from "../pages/access/SetupPage";
import { SignInPage } from "../pages/access/SignInPage";
import { AuditPage } from "../pages/audit/AuditPage";
import { EditorPage } from "../pages/editor/EditorPage";
import { ExtractPage } from "../pages/extract/ExtractPage";
import { FoldersPage } from "../pages/folders/FoldersPage";
import { ReviewPage } from "../pages/review/ReviewPage";
import { ApiKeysPage } from "../pages/keys/ApiKeysPage";
import { ModelsPage } from "../pages/models/ModelsPage";
import { UsersPage } from "../pages/users/UsersPage";
import { WebhooksPage } from "../pages/webhooks/WebhooksPage";
import { parseRoute, routes, usePath, type Route } from "./router";
import { hasRole, loadSession, owner, useSession } from "./session";
import { refreshReviewCount, useReviewCount } from "./reviewCount";
import { UserMenu } from "./UserMenu";

function AdminOnly({ me, title }: { me: Me; title: string }) {
  return (
    <main class="page">
      <div class="page-head">
        <h1>{title}</h1>
      </div>
      <Notice kind="error">
        This page is for admins. You are signed in as {me.name}, whose role is {me.role}.
      </Notice>
      <p>
        Go to the <a href={routes.models()}>models</a>.
      </p>
    </main>
  );
}

function Page({ route, me }: { route: Route; me: Me }) {
  const admin = hasRole(me, "admin");
  switch (route.page) {
    case "models":
      return <ModelsPage />;
    case "editor":
      return <EditorPage key={route.modelId} modelId={route.modelId} />;
    case "extract":
      return <ExtractPage initialModelId={route.modelId} />;
    case "review":
      return <ReviewPage initialItemId={route.itemId} />;
    case "folders":
      return <FoldersPage key={route.folder ?? ""} folder={route.folder} />;
    case "users":
      return admin ? <UsersPage /> : <AdminOnly me={me} title="Users" />;
    case "apiKeys":
      return admin ? <ApiKeysPage /> : <AdminOnly me={me} title="API keys" />;
    case "audit":
      return admin ? <AuditPage /> : <AdminOnly me={me} title="Audit log" />;
    case "webhooks":
      return admin ? <WebhooksPage /> : <AdminOnly me={me} title="Webhooks" />;
    case "setup":
      return <SetupPage />;
    case "notFound":
      return (
        <main class="page">
          <h1>Not found</h1>
          <p>
            There is no page here. Go to the <a href={routes.models()}>models</a>.
          </p>
        </main>
      );
  }
}

const SECTIONS = [
  { href: routes.models(), label: "Models", pages: ["models", "editor"], admin: false },
  { href: routes.extract(), label: "Extract", pages: ["extract"], admin: false },
  { href: routes.review(), label: "Review", pages: ["review"], admin: false },
  { href: routes.folders(), label: "Folders", pages: ["folders"], admin: false },
  { href: routes.users(), label: "Users", pages: ["users"], admin: true },
  { href: routes.apiKeys(), label: "API keys", pages: ["apiKeys"], admin: true },
  { href: routes.audit(), label: "Audit", pages: ["audit"], admin: true },
  { href: routes.webhooks(), label: "Webhooks", pages: ["webhooks"], admin: true },
] as const;

function Brand() {
  return (
    <a class="brand" href={routes.models()}>
      <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
        <rect x="3" y="3" width="18" height="18" rx="3" fill="none" stroke="currentColor" stroke-width="2" />
        <rect x="7" y="7" width="6" height="5" fill="currentColor" />
        <rect x="11" y="14" width="6" height="3" fill="currentColor" opacity="0.6" />
      </svg>
      Zonecut
    </a>
  );
}

export function App() {
  const route = parseRoute(usePath());
  const session = useSession();
  useEffect(() => {
    void loadSession();
  }, []);

  const signedIn = session.status === "signedIn" ? session.me : null;
  // The setup page needs nobody signed in; every other page needs somebody.
  const open = route.page === "setup";
  // Whose page is mounted: kept (hidden) while a session that ended is renewed.
  const pageOwner = open ? null : owner(session);
  const showing = open || signedIn !== null ? route.page : session.status === "signedOut" ? "sign-in" : "loading";
  const admin = hasRole(signedIn, "admin");
  const reviewCount = useReviewCount();
  const signedInName = signedIn?.name ?? null;
  useEffect(() => {
    if (signedInName !== null) void refreshReviewCount();
  }, [signedInName]);

  return (
    <div class={`app app-${showing}`}>
      <header class="app-header">
        <Brand />
        {signedIn !== null && !open && (
          <nav aria-label="Sections">
            {SECTIONS.filter((s) => admin || !s.admin).map((s) => (
              <a
                key={s.href}
                href={s.href}
                class="nav-link"
                aria-current={(s.pages as readonly string[]).includes(route.page) ? "page" : undefined}
              >
                {s.label}
                {s.label === "Review" && reviewCount !== null && reviewCount > 0 && (
                  <>
                    {" "}
                    <span class="nav-count" data-testid="review-count">
                      {reviewCount}
                      <span class="visually-hidden"> open</span>
                    </span>
                  </>
                )}
              </a>
            ))}
          </nav>
        )}
        {signedIn !== null && <UserMenu me={signedIn} />}
      </header>
      {open && <SetupPage />}
      {pageOwner !== null && (
        <div class="page-slot" key={pageOwner.name} hidden={signedIn === null}>
          <Page route={route} me={pageOwner} />
        </div>
      )}
      {!open && session.status === "signedOut" && <SignInPage ended={session.ended} />}
      {!open && session.status === "loading" && (
        <main class="page muted" aria-busy="true">
          Loading…
        </main>
      )}
      {!open && session.status === "failed" && (
        <main class="auth-page">
          <section class="auth-card card">
            <h1>Zonecut is not answering</h1>
            <Notice kind="error">{explain(session.error)}</Notice>
            <button type="button" class="button button-primary button-block" onClick={() => void loadSession()}>
              Try again
            </button>
          </section>
        </main>
      )}
      <ConfirmHost />
    </div>
  );
}
