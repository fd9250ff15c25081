// Small line icons for the toolbar (24 px grid, current colour).

const paths = {
  select: "M5 3l14 8-6 1.5L10 19z",
  hand: "M8 12V5.5a1.5 1.5 0 013 0V11m0-6.5a1.5 1.5 0 013 0V11m0-5a1.5 1.5 0 013 0v7c0 4-2.5 7-6.5 7S6 17 5 15l-2-4a1.5 1.5 0 012.6-1.5L8 12",
  zoomIn: "M11 4a7 7 0 100 14 7 7 0 000-14zm5 12l4 4M8 11h6M11 8v6",
  zoomOut: "M11 4a7 7 0 100 14 7 7 0 000-14zm5 12l4 4M8 11h6",
  fit: "M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5",
  undo: "M9 14L4 9l5-5M4 9h10.5a5.5 5.5 0 010 11H11",
  redo: "M15 14l5-5-5-5M20 9H9.5a5.5 5.5 0 000 11H13",
} as const;

export type IconName = keyof typeof paths;

export function Icon({ name }: { name: IconName }) {
  return (
    <svg
      viewBox="0 0 24 24"
      width="18"
      height="18"
      aria-hidden="true"
      fill="none"
      stroke="currentColor"
      stroke-width="1.8"
      stroke-linecap="round"
      stroke-linejoin="round"
    >
      <path d={paths[name]} />
    </svg>
  );
}
