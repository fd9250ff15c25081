// Names for the API's shapes, all taken from the schema generated from openapi.yaml
// (`npm run gen:api`), so a contract change that the app does not follow fails the build.

import type { components, paths } from "./schema.gen";

type Schemas = components["schemas"];

export type Model = Schemas["ModelRead"];
export type ModelImported = Schemas["ModelImported"];
export type ImportReport = Schemas["ImportReport"];
export type ModelSummary = Schemas["ModelSummary"];
export type ModelUpdate = Schemas["ModelUpdate"];
export type ZoneRead = Schemas["ZoneRead"];
export type ZoneReplace = Schemas["ZoneReplace"];
export type ZoneSuggestions = Schemas["ZoneSuggestions"];
export type Extraction = Schemas["ExtractionRead"];
export type Crop = Schemas["CropRead"];
export type Folder = Schemas["FolderRead"];
export type OutputFile = Schemas["FileRead"];
export type Problem = Schemas["Problem"];
export type FieldError = Schemas["FieldError"];
export type Alignment = Model["alignment"];
export type OutputFormat = Model["output_format"];

export type Me = Schemas["Me"];
export type Role = Me["role"];
export type User = Schemas["UserRead"];
export type UserCreate = Schemas["UserCreate"];
export type UserUpdate = Schemas["UserUpdate"];
export type ApiKey = Schemas["ApiKeyRead"];
export type ApiKeyCreated = Schemas["ApiKeyCreated"];
export type ApiKeyCreate = Schemas["ApiKeyCreate"];
export type AuditEvent = Schemas["AuditEventRead"];
export type Review = Schemas["ReviewRead"];
export type Sample = Schemas["SampleRead"];
export type SampleCheck = Schemas["SampleCheck"];
export type SampleDiff = Schemas["SampleDiff"];
export type ZoneDiff = Schemas["ZoneDiff"];
export type CropPreview = Schemas["CropPreview"];
export type Job = Schemas["JobRead"];
export type Webhook = Schemas["WebhookRead"];
export type WebhookCreated = Schemas["WebhookCreated"];
export type WebhookCreate = Schemas["WebhookCreate"];
export type WebhookEvent = Webhook["events"][number];
export type Delivery = Schemas["DeliveryRead"];

export type ModelPage = paths["/api/v1/models"]["get"]["responses"][200]["content"]["application/json"];
export type FolderPage = paths["/api/v1/folders"]["get"]["responses"][200]["content"]["application/json"];
export type FilePage = paths["/api/v1/folders/{folder}/files"]["get"]["responses"][200]["content"]["application/json"];
export type UserPage = paths["/api/v1/users"]["get"]["responses"][200]["content"]["application/json"];
export type ApiKeyPage = paths["/api/v1/api-keys"]["get"]["responses"][200]["content"]["application/json"];
export type ReviewPage = paths["/api/v1/reviews"]["get"]["responses"][200]["content"]["application/json"];
export type SamplePage =
  paths["/api/v1/models/{model_id}/samples"]["get"]["responses"][200]["content"]["application/json"];
export type ExtractionPage = paths["/api/v1/extractions"]["get"]["responses"][200]["content"]["application/json"];
export type AuditPage = paths["/api/v1/audit"]["get"]["responses"][200]["content"]["application/json"];
export type JobPage = paths["/api/v1/jobs"]["get"]["responses"][200]["content"]["application/json"];
export type WebhookPage = paths["/api/v1/webhooks"]["get"]["responses"][200]["content"]["application/json"];
export type DeliveryPage =
  paths["/api/v1/webhooks/{webhook_id}/deliveries"]["get"]["responses"][200]["content"]["application/json"];

export type { paths };
