/**
 * A QR code drawn as React SVG elements (no markup strings). qrcode-generator computes the module
 * matrix; each run of dark modules in a row becomes one rectangle of a single path. Always dark on
 * white with the standard four-module quiet zone, whatever the theme: scanners expect that.
 */
import qrcode from 'qrcode-generator';
import { useMemo } from 'react';

const QUIET_ZONE = 4;

interface Matrix {
  size: number;
  path: string;
}

/** The path of the dark modules, or null when the text is too long for any QR version. */
export function qrMatrix(text: string): Matrix | null {
  // M recovers from 15% damage; fall back to L (7%) before giving up on a long text.
  for (const level of ['M', 'L'] as const) {
    try {
      const qr = qrcode(0, level);
      qr.addData(text, 'Byte');
      qr.make();
      const count = qr.getModuleCount();
      const runs: string[] = [];
      for (let row = 0; row < count; row++) {
        let col = 0;
        while (col < count) {
          if (!qr.isDark(row, col)) {
            col++;
            continue;
          }
          const start = col;
          while (col < count && qr.isDark(row, col)) col++;
          runs.push(`M${start + QUIET_ZONE} ${row + QUIET_ZONE}h${col - start}v1h-${col - start}z`);
        }
      }
      return { size: count + 2 * QUIET_ZONE, path: runs.join('') };
    } catch {
      // Too long at this level ("code length overflow"): try the next.
    }
  }
  return null;
}

interface QrCodeProps {
  value: string;
  /** The accessible name, e.g. "QR code of the invite link". */
  label: string;
  className?: string;
}

export function QrCode({ value, label, className }: QrCodeProps) {
  const matrix = useMemo(() => qrMatrix(value), [value]);
  if (!matrix) {
    return <p className="qr-too-long">This is too long for a QR code: copy the link instead.</p>;
  }
  return (
    <svg
      className={`qr ${className ?? ''}`}
      role="img"
      aria-label={label}
      viewBox={`0 0 ${matrix.size} ${matrix.size}`}
      shapeRendering="crispEdges"
    >
      <rect width={matrix.size} height={matrix.size} fill="#ffffff" />
      <path d={matrix.path} fill="#000000" />
    </svg>
  );
}
