// A chosen file shown before upload: the picture itself, or — for what a browser cannot
// show as a picture (a PDF, a TIFF outside Safari, HEIC) — a tile naming its kind.

import { useState } from "preact/hooks";

/** What a file is, as people call it: "PDF", "TIFF", "JPG"… */
export function fileKind(file: File): string {
  if (file.type === "application/pdf") return "PDF";
  const ext = /\.([A-Za-z0-9]{1,5})$/.exec(file.name)?.[1]?.toUpperCase();
  if (ext === "TIF") return "TIFF";
  return ext ?? (file.type.split("/")[1]?.toUpperCase() || "File");
}

/** A PDF is never shown as a picture by an <img>: no need to try. */
const isPdf = (file: File): boolean => file.type === "application/pdf" || /\.pdf$/i.test(file.name);

export function FilePreview({ file, src, alt }: { file: File; src: string; alt: string }) {
  const [failed, setFailed] = useState<string | null>(null);
  if (isPdf(file) || failed === src) {
    return (
      <span class="file-tile" role={alt === "" ? undefined : "img"} aria-label={alt === "" ? undefined : alt}>
        {fileKind(file)}
      </span>
    );
  }
  return <img src={src} alt={alt} onError={() => setFailed(src)} />;
}
