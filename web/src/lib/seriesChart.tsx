// Time series in Chart.js (the reports' shape: several series over the same periods), as bars or lines with a
// legend. Registers the line chart's parts on top of what lib/chart.tsx registers, in the chunk that uses them.
import { useEffect, useRef } from 'preact/hooks';
import { Chart, LineController, LineElement, PointElement, type ChartConfiguration } from 'chart.js';
import './chart';
import { useI18n } from './i18n';

Chart.register(LineController, LineElement, PointElement);

const palette = ['#0f766e', '#d97706', '#2563eb', '#9333ea', '#dc2626', '#65a30d', '#64748b'];

interface SeriesProps {
  kind: 'bar' | 'line';
  /** The periods, already in the language. */
  labels: string[];
  series: { name: string; values: (number | null)[] }[];
  label: string;
  stacked?: boolean;
  /** How a value reads (money, points); numbers in the language's digits otherwise. */
  format?: (n: number) => string;
}

/** Several series over the same periods (the reports' time series), with a legend. */
export function SeriesChart(p: SeriesProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const i = useI18n();
  const key = JSON.stringify([p.labels, p.series, p.kind, p.stacked]);
  useEffect(() => {
    if (!canvas.current) return;
    const rtl = i.lang === 'fa';
    const fmt = p.format ?? ((n: number) => i.num(n));
    const config: ChartConfiguration<'bar' | 'line'> = {
      type: p.kind,
      data: {
        labels: p.labels,
        datasets: p.series.map((s, n) => ({
          label: s.name,
          data: s.values,
          backgroundColor: palette[n % palette.length],
          borderColor: palette[n % palette.length],
          borderWidth: p.kind === 'line' ? 2 : 0,
          pointRadius: p.kind === 'line' ? 2 : 0,
          fill: false,
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        locale: rtl ? 'fa-IR' : 'en-US',
        plugins: {
          legend: { display: true, rtl, position: 'bottom' },
          tooltip: { rtl, callbacks: { label: (c) => ` ${c.dataset.label}: ${c.raw === null ? '—' : fmt(Number(c.raw))}` } },
        },
        scales: {
          x: { reverse: rtl, stacked: !!p.stacked },
          y: { beginAtZero: true, stacked: !!p.stacked, position: rtl ? 'right' : 'left', ticks: { precision: 0, callback: (v) => fmt(Number(v)) } },
        },
      },
    };
    const chart = new Chart(canvas.current, config as ChartConfiguration);
    return () => chart.destroy();
  }, [key, i.lang]);
  return (
    <div class="chart">
      <canvas ref={canvas} role="img" aria-label={p.label} />
    </div>
  );
}
