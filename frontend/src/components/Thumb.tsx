/** A picture shrunk into a fixed box, loaded only when scrolled into view. */
export function Thumb({ src, alt, size = "m" }: { src: string; alt: string; size?: "s" | "m" | "l" }) {
  return (
    <span class={`thumb thumb-${size}`}>
      <img src={src} alt={alt} loading="lazy" decoding="async" />
    </span>
  );
}
