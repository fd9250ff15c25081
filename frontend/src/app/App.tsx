// The shell: a header with the sections, and the page for the current address.

import { ConfirmHost } from "../components/confirm";
import { EditorPage } from "../pages/editor/EditorPage";
import { ExtractPage } from "../pages/extract/ExtractPage";
import { FoldersPage } from "../pages/folders/FoldersPage";
import { ModelsPage } from "../pages/models/ModelsPage";
import { parseRoute, routes, usePath, type Route } from "./router";

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "models":
      return <ModelsPage />;
    case "editor":
      return <EditorPage key={route.modelId} modelId={route.modelId} />;
    case "extract":
      return <ExtractPage initialModelId={route.modelId} />;
    case "folders":
      return <FoldersPage key={route.folder ?? ""} folder={route.folder} />;
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
  { href: routes.models(), label: "Models", pages: ["models", "editor"] },
  { href: routes.extract(), label: "Extract", pages: ["extract"] },
  { href: routes.folders(), label: "Folders", pages: ["folders"] },
] as const;

export function App() {
  const route = parseRoute(usePath());
  return (
    <div class={`app app-${route.page}`}>
      <header class="app-header">
        <a class="brand" href={routes.models()}>
          <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
            <rect x="3" y="3" width="18" height="18" rx="3" fill="none" stroke="currentColor" stroke-width="2" />
            <rect x="7" y="7" width="6" height="5" fill="currentColor" />
            <rect x="11" y="14" width="6" height="3" fill="currentColor" opacity="0.6" />
          </svg>
          Zonecut
        </a>
        <nav aria-label="Sections">
          {SECTIONS.map((s) => (
            <a
              key={s.href}
              href={s.href}
              class="nav-link"
              aria-current={(s.pages as readonly string[]).includes(route.page) ? "page" : undefined}
            >
              {s.label}
            </a>
          ))}
        </nav>
      </header>
      <Page route={route} />
      <ConfirmHost />
    </div>
  );
}
