import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

/**
 * A uPlot line or bar chart that follows its data: the plot is built once per series layout and
 * fed new data with setData, so a live curve redraws without rebuilding. The numbers are also in
 * a visually hidden table for screen readers.
 */
export function Chart(props: {
  title: string;
  x: number[];
  series: { label: string; values: (number | null)[]; color: string }[];
  xLabel: string;
  bars?: boolean;
  testId?: string;
  /** How the y axis writes its values (learning rates read better as 1.0e-3). */
  yFormat?: (v: number) => string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const layout = props.series.map((s) => s.label).join('|') + (props.bars ? '|bars' : '');

  useEffect(() => {
    if (!host.current) return;
    const width = Math.max(280, host.current.clientWidth || 480);
    const opts: uPlot.Options = {
      title: props.title,
      width,
      height: 220,
      // Bars get half a bar of room at each end, so the first and last are not cut in half.
      scales: {
        x: {
          time: false,
          range: props.bars
            ? (u: uPlot, min: number, max: number): uPlot.Range.MinMax => {
                const pad = u.data[0].length > 1 ? (max - min) / (u.data[0].length - 1) / 2 : 0.5;
                return [min - pad, max + pad];
              }
            : undefined,
        },
      },
      axes: [{ label: props.xLabel }, props.yFormat ? { size: 70, values: (_u, ticks) => ticks.map((t) => props.yFormat!(t)) } : {}],
      series: [
        { label: props.xLabel },
        ...props.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          fill: props.bars ? s.color + '66' : undefined,
          paths: props.bars ? uPlot.paths.bars!({ size: [0.9, 60] }) : undefined,
          points: { show: props.bars ? false : (u: uPlot) => u.data[0].length < 30 },
        })),
      ],
    };
    plot.current = new uPlot(opts, [props.x, ...props.series.map((s) => s.values)] as uPlot.AlignedData, host.current);
    const resize = new ResizeObserver(() => {
      const w = host.current?.clientWidth;
      if (w && plot.current) plot.current.setSize({ width: Math.max(280, w), height: 220 });
    });
    resize.observe(host.current);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [layout]);

  useEffect(() => {
    plot.current?.setData([props.x, ...props.series.map((s) => s.values)] as uPlot.AlignedData);
  });

  return (
    <figure class="chart" data-testid={props.testId} data-points={props.x.length}>
      <div ref={host} aria-hidden="true" />
      <figcaption class="sr-only">
        <table>
          <caption>{props.title}</caption>
          <thead>
            <tr>
              <th scope="col">{props.xLabel}</th>
              {props.series.map((s) => (
                <th scope="col" key={s.label}>
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.x.slice(-50).map((x, i, shown) => (
              <tr key={x}>
                <td>{x}</td>
                {props.series.map((s) => (
                  <td key={s.label}>{s.values[props.x.length - shown.length + i] ?? ''}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </figcaption>
    </figure>
  );
}
