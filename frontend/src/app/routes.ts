// The app's addresses: parsing them into pages and building them.

export type Route =
  | { readonly page: "models" }
  | { readonly page: "editor"; readonly modelId: string }
  | { readonly page: "extract"; readonly modelId: string | null }
  | { readonly page: "folders"; readonly folder: string | null }
  | { readonly page: "review"; readonly itemId: string | null }
  | { readonly page: "setup" }
  | { readonly page: "users" }
  | { readonly page: "apiKeys" }
  | { readonly page: "audit" }
  | { readonly page: "webhooks" }
  | { readonly page: "notFound" };

export function parseRoute(pathAndQuery: string): Route {
  const url = new URL(pathAndQuery, "http://x");
  const parts = url.pathname
    .split("/")
    .filter((p) => p !== "")
    .map(decodeURIComponent);
  const [first, ...rest] = parts;
  if (first === undefined || (first === "models" && rest.length === 0)) return { page: "models" };
  if (first === "models" && rest.length === 1 && rest[0] !== undefined) return { page: "editor", modelId: rest[0] };
  if (first === "extract" && rest.length === 0) return { page: "extract", modelId: url.searchParams.get("model") };
  if (first === "review" && rest.length === 0) return { page: "review", itemId: url.searchParams.get("item") };
  if (first === "folders") return { page: "folders", folder: rest.length > 0 ? rest.join("/") : null };
  if (rest.length === 0) {
    if (first === "setup") return { page: "setup" };
    if (first === "users") return { page: "users" };
    if (first === "api-keys") return { page: "apiKeys" };
    if (first === "audit") return { page: "audit" };
    if (first === "webhooks") return { page: "webhooks" };
  }
  return { page: "notFound" };
}

export const routes = {
  models: (): string => "/",
  editor: (id: string): string => `/models/${encodeURIComponent(id)}`,
  extract: (modelId?: string): string => (modelId ? `/extract?model=${encodeURIComponent(modelId)}` : "/extract"),
  folders: (folder?: string): string =>
    folder ? `/folders/${folder.split("/").map(encodeURIComponent).join("/")}` : "/folders",
  review: (itemId?: string): string => (itemId ? `/review?item=${encodeURIComponent(itemId)}` : "/review"),
  setup: (): string => "/setup",
  users: (): string => "/users",
  apiKeys: (): string => "/api-keys",
  audit: (): string => "/audit",
  webhooks: (): string => "/webhooks",
};

/** The setup link's token, from an address fragment like `#token=…` (else null). */
export function setupToken(hash: string): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, "")).get("token")?.trim() ?? "";
  return token === "" ? null : token;
}
