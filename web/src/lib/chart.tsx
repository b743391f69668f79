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
  LinearScale,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import { useI18n } from './i18n';

Chart.register(ArcElement, BarController, BarElement, CategoryScale, DoughnutController, Legend, LinearScale, Tooltip);
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
