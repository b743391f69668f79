// Chart.js in a Preact component: only the controllers the dashboard uses are registered (a smaller bundle);
// labels and numbers follow the language (Persian digits, right-to-left legends and tooltips).
import { useEffect, useRef } from 'preact/hooks';
import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  DoughnutController,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import { useI18n } from './i18n';

Chart.register(
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  DoughnutController,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  Tooltip,
);
Chart.defaults.font.family = 'system-ui, "Vazirmatn", "Noto Sans Arabic", Tahoma, sans-serif';
Chart.defaults.animation = false; // figures appear at once, and screenshots are stable

const palette = ['#0f766e', '#d97706', '#2563eb', '#9333ea', '#dc2626', '#65a30d', '#64748b'];

interface Props {
  kind: 'bar' | 'doughnut';
  labels: string[];
  values: number[];
  /** What the chart shows, for screen readers (the figures are also in the text beside it). */
  label: string;
}

export function FigureChart(p: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const i = useI18n();
  useEffect(() => {
    if (!canvas.current) return;
    const rtl = i.lang === 'fa';
    const config: ChartConfiguration<'bar' | 'doughnut'> = {
      type: p.kind,
      data: {
        labels: p.labels,
        datasets: [{ label: p.label, data: p.values, backgroundColor: palette, borderWidth: 0 }],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        locale: i.lang === 'fa' ? 'fa-IR' : 'en-US',
        plugins: {
          legend: { display: p.kind === 'doughnut', rtl, position: 'bottom' },
          tooltip: { rtl, callbacks: { label: (c) => ` ${c.label}: ${i.num(Number(c.raw))}` } },
        },
        scales:
          p.kind === 'bar'
            ? {
                x: { reverse: rtl },
                y: { beginAtZero: true, position: rtl ? 'right' : 'left', ticks: { precision: 0, callback: (v) => i.num(Number(v)) } },
              }
            : {},
      },
    };
    const chart = new Chart(canvas.current, config as ChartConfiguration);
    return () => chart.destroy();
  }, [p.kind, p.labels.join('\u0000'), p.values.join(','), i.lang]);
  return (
    <div class="chart">
      <canvas ref={canvas} role="img" aria-label={p.label} />
    </div>
  );
}

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
