// The API client for models, extraction and files: typed calls generated from
// openapi.yaml, each returning its data or throwing an ApiError (problem+json) or a
// NetworkError. Sign-in, users, keys and the audit log are in access.ts.

import { API_BASE, call, client } from "./http";
import type {
  Extraction,
  ExtractionPage,
  FilePage,
  FolderPage,
  Job,
  JobPage,
  Model,
  ModelImported,
  ModelPage,
  ModelUpdate,
  paths,
  Review,
  ReviewPage,
  Sample,
  SampleCheck,
  SamplePage,
  ZoneReplace,
  ZoneSuggestions,
} from "./types";
import { sendForm, type UploadOptions } from "./upload";

/** The `If-Match` header for a model version (its ETag is the version, quoted). */
export const ifMatch = (version: number): { "if-match": string } => ({ "if-match": `"${version}"` });

/** Each path segment encoded on its own, keeping the slashes of nested folders. */
export const encodePath = (path: string): string => path.split("/").map(encodeURIComponent).join("/");

// ----- models -------------------------------------------------------------------------------

export async function listModels(query: { q?: string; limit?: number; offset?: number } = {}): Promise<ModelPage> {
  const { data } = await call(() =>
    client.GET("/api/v1/models", {
      params: { query: { limit: query.limit ?? 200, offset: query.offset ?? 0, ...(query.q ? { q: query.q } : {}) } },
    }),
  );
  return data;
}

export async function getModel(id: string, signal?: AbortSignal): Promise<Model> {
  const { data } = await call(() =>
    client.GET("/api/v1/models/{model_id}", { params: { path: { model_id: id } }, signal }),
  );
  return data;
}

/** The zones suggested on page `page` of a model's reference, and its printed lines. */
export async function getZoneSuggestions(id: string, page: number, signal?: AbortSignal): Promise<ZoneSuggestions> {
  const { data } = await call(() =>
    client.GET("/api/v1/models/{model_id}/suggestions", {
      params: { path: { model_id: id }, query: { page } },
      signal,
    }),
  );
  return data;
}

type Multipart<Op> = Op extends { requestBody?: { content: { "multipart/form-data": infer B } } } ? B : never;

/** FormData whose field names are checked against the contract's multipart body. */
function formData<Body>(fields: { [K in keyof Body]?: string | File }): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields) as [string, string | File | undefined][]) {
    if (value === undefined) continue;
    if (typeof value === "string") form.set(name, value);
    else form.set(name, value, value.name);
  }
  return form;
}

export function createModel(
  fields: { name: string; description?: string; image: File },
  options: UploadOptions = {},
): Promise<Model> {
  const form = formData<Multipart<paths["/api/v1/models"]["post"]>>({
    name: fields.name,
    description: fields.description || undefined,
    image: fields.image,
  });
  return sendForm<Model>("POST", `${API_BASE}/models`, form, options);
}

/** A model from another tool's file (`file`) and the picture it was drawn on (`image`), or
 *  from a Zonecut export alone; the answer says what was renamed, clipped or skipped. */
export function importModel(
  fields: { file: File; image?: File | undefined; name?: string | undefined },
  options: UploadOptions = {},
): Promise<ModelImported> {
  const form = formData<Multipart<paths["/api/v1/models/import"]["post"]>>({
    file: fields.file,
    image: fields.image,
    name: fields.name?.trim() || undefined,
  });
  return sendForm<ModelImported>("POST", `${API_BASE}/models/import`, form, options);
}

export async function updateModel(id: string, version: number, changes: ModelUpdate): Promise<Model> {
  const { data } = await call(() =>
    client.PATCH("/api/v1/models/{model_id}", {
      params: { path: { model_id: id }, header: ifMatch(version) },
      body: changes,
    }),
  );
  return data;
}

export async function deleteModel(id: string, version?: number): Promise<void> {
  await call(() =>
    client.DELETE("/api/v1/models/{model_id}", {
      params: { path: { model_id: id }, header: version === undefined ? {} : ifMatch(version) },
    }),
  );
}

/** The editor's Save: all zones at once, based on `version`; 412 when it is stale. */
export async function replaceZones(id: string, version: number, zones: readonly ZoneReplace[]): Promise<Model> {
  const { data } = await call(() =>
    client.PUT("/api/v1/models/{model_id}/zones", {
      params: { path: { model_id: id }, header: ifMatch(version) },
      body: { zones: [...zones] },
    }),
  );
  return data;
}

// ----- samples ------------------------------------------------------------------------------

export async function listSamples(modelId: string): Promise<SamplePage> {
  const { data } = await call(() =>
    client.GET("/api/v1/models/{model_id}/samples", { params: { path: { model_id: modelId } } }),
  );
  return data;
}

/** Keeps a picture or document with the model as a sample (cut with its zones now). */
export function addSample(modelId: string, image: File, options: UploadOptions = {}): Promise<Sample> {
  const form = formData<Multipart<paths["/api/v1/models/{model_id}/samples"]["post"]>>({ image });
  return sendForm<Sample>("POST", `${API_BASE}/models/${encodeURIComponent(modelId)}/samples`, form, options);
}

/** Keeps the picture a past extraction kept as a sample. */
export function addSampleFromExtraction(modelId: string, extractionId: string): Promise<Sample> {
  const form = formData<Multipart<paths["/api/v1/models/{model_id}/samples"]["post"]>>({
    extraction_id: extractionId,
  });
  return sendForm<Sample>("POST", `${API_BASE}/models/${encodeURIComponent(modelId)}/samples`, form);
}

export async function deleteSample(modelId: string, sampleId: string): Promise<void> {
  await call(() =>
    client.DELETE("/api/v1/models/{model_id}/samples/{sample_id}", {
      params: { path: { model_id: modelId, sample_id: sampleId } },
    }),
  );
}

/** Every sample cut with the saved zones and with `zones` (nothing saved). */
export async function checkSamples(
  modelId: string,
  zones: readonly ZoneReplace[],
  signal?: AbortSignal,
): Promise<SampleCheck> {
  const { data } = await call(() =>
    client.POST("/api/v1/models/{model_id}/samples/check", {
      params: { path: { model_id: modelId } },
      body: { zones: [...zones] },
      signal,
    }),
  );
  return data;
}

// ----- extraction ---------------------------------------------------------------------------

/** The latest extractions of a model, newest first. */
export async function listExtractions(modelId: string, limit = 20): Promise<ExtractionPage> {
  const { data } = await call(() =>
    client.GET("/api/v1/extractions", { params: { query: { model_id: modelId, limit } } }),
  );
  return data;
}

export function extract(model: string, image: File, options: UploadOptions = {}): Promise<Extraction> {
  const form = formData<Multipart<paths["/api/v1/extract"]["post"]>>({ model, image });
  return sendForm<Extraction>("POST", `${API_BASE}/extract`, form, options);
}

// ----- jobs ---------------------------------------------------------------------------------

/** Uploads `image` as a job (`Prefer: respond-async`): the server answers 202 with the job once
 *  the upload is stored, and cuts it in the background. `eachPage` cuts every page of a document
 *  as its own picture (a model of one page). */
export function startJob(
  model: string,
  image: File,
  job: { eachPage: boolean },
  options: UploadOptions = {},
): Promise<Job> {
  const form = formData<Multipart<paths["/api/v1/extract"]["post"]>>({
    model,
    image,
    pages: job.eachPage ? "each" : undefined,
  });
  const headers = { ...options.headers, Prefer: "respond-async" };
  return sendForm<Job>("POST", `${API_BASE}/extract`, form, { ...options, headers });
}

/** The jobs this person started, newest first. */
export async function listJobs(limit = 10): Promise<JobPage> {
  const { data } = await call(() => client.GET("/api/v1/jobs", { params: { query: { limit } } }));
  return data;
}

/** Stops a job before its next page; what it filed stays. */
export async function cancelJob(id: string): Promise<Job> {
  const { data } = await call(() => client.DELETE("/api/v1/jobs/{job_id}", { params: { path: { job_id: id } } }));
  return data;
}

// ----- review queue -------------------------------------------------------------------------

export async function listReviews(
  query: { status?: Review["status"]; model_id?: string; limit?: number; offset?: number } = {},
): Promise<ReviewPage> {
  const { data } = await call(() =>
    client.GET("/api/v1/reviews", {
      params: {
        query: {
          status: query.status ?? "open",
          limit: query.limit ?? 100,
          offset: query.offset ?? 0,
          ...(query.model_id ? { model_id: query.model_id } : {}),
        },
      },
    }),
  );
  return data;
}

export async function getReview(id: string): Promise<Review> {
  const { data } = await call(() => client.GET("/api/v1/reviews/{review_id}", { params: { path: { review_id: id } } }));
  return data;
}

/** Cuts a review item with the reference's corners placed in its picture (TL, TR, BR, BL). */
export async function resolveReview(id: string, corners: readonly (readonly [number, number])[]): Promise<Extraction> {
  const { data } = await call(() =>
    client.POST("/api/v1/reviews/{review_id}/resolve", {
      params: { path: { review_id: id } },
      body: { corners: corners.map(([x, y]) => [x, y]) },
    }),
  );
  return data as Extraction;
}

export async function discardReview(id: string): Promise<void> {
  await call(() => client.POST("/api/v1/reviews/{review_id}/discard", { params: { path: { review_id: id } } }));
}

// ----- folders and files --------------------------------------------------------------------

export async function listFolders(): Promise<FolderPage> {
  const { data } = await call(() => client.GET("/api/v1/folders", { params: { query: { limit: 1000 } } }));
  return data;
}

export async function listFiles(folder: string): Promise<FilePage> {
  const { data } = await call(() =>
    client.GET("/api/v1/folders/{folder}/files", { params: { path: { folder }, query: { limit: 1000 } } }),
  );
  return data;
}

export async function deleteFile(path: string): Promise<void> {
  await call(() => client.DELETE("/api/v1/files/{path}", { params: { path: { path } } }));
}

export const folderArchiveUrl = (folder: string): string => `${API_BASE}/folders/${encodePath(folder)}/archive`;
export const fileUrl = (path: string): string => `${API_BASE}/files/${encodePath(path)}`;
/** One extraction's crops as a ZIP of `<folder>/<file>` entries plus `manifest.json`. */
export const extractionArchiveUrl = (id: string): string => `${API_BASE}/extractions/${encodeURIComponent(id)}/archive`;
/** One stored extraction's picture as a JPEG with every zone outlined and named where it was cut (410 once
 *  gone); `page` (from 1) picks a page of a document cut with a model of several pages. */
export const extractionOverlayUrl = (id: string, page?: number): string =>
  `${API_BASE}/extractions/${encodeURIComponent(id)}/overlay${page === undefined || page === 1 ? "" : `?page=${page}`}`;
