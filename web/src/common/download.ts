/**
 * Hands a Blob to the browser as a download named `filename`. The file was fetched with the
 * session (api/client.ts `requestFile`); an object URL lets a plain <a download> save it.
 */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  // The click starts the download asynchronously: revoking the URL at once could cancel it.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** The name in `content-disposition: attachment; filename="x.csv"`, or null without one. */
export function attachmentName(headers: Headers): string | null {
  return /filename="([^"]+)"/.exec(headers.get('content-disposition') ?? '')?.[1] ?? null;
}
