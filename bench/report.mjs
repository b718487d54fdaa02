// The Markdown table and the SVG chart of a scripts/bench run (plain text, no dependency).

const STORES = {
  outloud: 'every message stored in SQLite and fsynced (synchronous=FULL) before `sent`',
  'outloud-paged': 'the same',
  'outloud-batched': 'the same',
  socketio: 'nothing: a message not delivered at once is gone',
  nats: 'nothing (core NATS, no JetStream): a message not delivered at once is gone',
};

function fmt(value, digits) {
  if (value >= 100_000) return `${Math.round(value / 1000)}k`;
  if (value >= 10_000) return `${(value / 1000).toFixed(1)}k`;
  return value.toFixed(digits);
}

// "median (min–max)" or "—".
function cell(s, digits = 1) {
  if (!s) return '—';
  if (s.n === 1 || s.min === s.max) return fmt(s.median, digits);
  return `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

export function table(summary, meta, svgPath) {
  const p = meta.params;
  const lines = [];
  lines.push(`![fan-out: deliveries per second and server CPU per delivery](${svgPath})`, '');
  const fixed = fmt(p.fanout.startRate * p.fanout.subscribers, 0);
  lines.push(`| system | stores | fan-out: deliveries/s at p99 < ${p.fanout.p99LimitMs} ms, 0 lost | fan-out p50 / p99 ms at that rate | `
    + `server CPU-s per 1M deliveries at that rate / at ${fixed}/s | many rooms p50 / p99 ms | KiB per idle connection | join storm CPU-s / wall s |`);
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const s of summary) {
    // 0: not even the first step passed.
    const fanout = s.fanoutDeliveries?.max === 0 ? `< ${fmt(p.fanout.startRate * p.fanout.subscribers, 0)}` : cell(s.fanoutDeliveries, 0);
    lines.push(`| ${s.label}${s.fanoutGeneratorBound ? ' ¹' : ''} | ${STORES[s.system]} | ${fanout} `
      + `| ${cell(s.fanoutP50, 2)} / ${cell(s.fanoutP99, 2)} | ${cell(s.fanoutCpuPer1M, 2)} / ${cell(s.fanoutCpuPer1MFirst, 2)} `
      + `| ${cell(s.manyP50, 2)} / ${cell(s.manyP99, 2)} | ${cell(s.idleKiB)} | ${cell(s.joinCpu, 2)} / ${cell(s.joinWall, 2)} |`);
  }
  lines.push('');
  lines.push(`Medians over ${meta.completedReps} interleaved repetition(s), range in brackets; \`scripts/bench${meta.mode === 'standard' ? '' : ` --${meta.mode}`}\`, `
    + `${meta.started.slice(0, 16).replace('T', ' ')} UTC, ${meta.seconds} s, load average ${meta.loadAtStart.toFixed(1)} at the start`
    + `${meta.cpuPressureAtStart === null ? '' : ` (some task waiting for a CPU ${meta.cpuPressureAtStart}% of the last minute)`}`
    + `: on a machine shared with other work absolute figures `
    + `vary, the runs are interleaved so that the systems share the noise. `
    + `Server on core ${meta.serverCores}, generator on core ${meta.generatorCores}; loopback; one Node generator (\`ws\`) `
    + `speaking each system's own protocol; 100-byte texts. OutLoud ${meta.versions.outloud} (Release, SQLite, \`--auth open`
    + `${/--threads/.test(meta.outloudArgs ?? '') ? '' : ' --threads 1'}${meta.outloudArgs ? ` ${meta.outloudArgs}` : ''}\`), Socket.IO ${meta.versions.socketio} (Node ${meta.versions.node}), `
    + `nats-server ${meta.versions.nats} (WebSocket listener, \`GOMAXPROCS\` = its cores).`);
  lines.push('');
  lines.push(`- Fan-out: 1 room × ${p.fanout.subscribers} connections, one of them publishing; the rate steps up ×${p.fanout.factor} `
    + `(${p.fanout.stepSeconds} s a step, the first ${p.fanout.firstStepSeconds} s) from ${p.fanout.startRate} messages/s until p99 ≥ ${p.fanout.p99LimitMs} ms `
    + `or anything is lost, then one step halfway back; a step that lost nothing and missed only the p99 is run once more `
    + `(one stall of the disk or host must not decide the rate), and the rate fails if it misses again; `
    + `the best passing step is reported, with its latencies and the server's CPU `
    + `(utime+stime from /proc) per 1M deliveries. The CPU per delivery of the first step (${fixed} deliveries/s, the same for every `
    + `system) is the figure that other work on the machine disturbs least.`);
  lines.push('- OutLoud runs the fan-out twice: joined as the contract does (one `message` event, one WebSocket message, per '
    + 'message) and, on its own line, joined with `message_batches` (a round of messages, at most one every 20 ms, as one '
    + '`message_batch` WebSocket message: protocol/README.md "Busy large rooms"), as NATS packs many messages into one frame.');
  lines.push(`- Many rooms: ${p.manyrooms.connections} connections in ${p.manyrooms.rooms} rooms, each sending 1 message/s for ${p.manyrooms.seconds} s.`);
  lines.push(`- Idle: ${p.idle.connections} connections, each joined to one of ${p.idle.rooms} rooms; the server's RSS growth per connection.`);
  lines.push(`- Join storm: ${p.joinstorm.connections} open connections join one room at once; server CPU until it is quiet again, wall time until every join is answered. `
    + 'OutLoud joins as the contract does (every join is announced to everyone already there: about n²/2 presence frames, '
    + 'and each `joined` lists the whole room) and, on its own line, as a large-room client does (`presence_limit` 100: '
    + 'a first page of presence and the changes coalesced, protocol/README.md "Large rooms"); Socket.IO and NATS have no presence.');
  if (summary.some((s) => s.fanoutGeneratorBound)) {
    lines.push('- ¹ the generator used over 90% of its core in the best step: that system may go faster than shown.');
  }
  const failures = summary.flatMap((s) => s.failures.map((f) => `${s.label} ${f}`));
  if (failures.length) lines.push(`- Runs that failed (left out of the medians): ${failures.join('; ')}.`);
  if (meta.outOfTime) lines.push(`- The run hit its time budget after ${meta.completedReps} repetition(s).`);
  return lines.join('\n');
}

const esc = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;');

// Two panels of horizontal bars (median, with a whisker for the range): fan-out deliveries/s and
// server CPU-s per 1M deliveries.
export function chart(allSystems, meta) {
  const summary = allSystems.filter((s) => s.fanoutDeliveries || s.fanoutCpuPer1MFirst);  // fan-out runs only
  const panels = [
    { title: `Fan-out: deliveries/s at p99 < ${meta.params.fanout.p99LimitMs} ms, nothing lost (higher is better)`, key: 'fanoutDeliveries', digits: 0 },
    { title: `Server CPU-seconds per 1M deliveries at ${fmt(meta.params.fanout.startRate * meta.params.fanout.subscribers, 0)} deliveries/s (lower is better)`,
      key: 'fanoutCpuPer1MFirst', digits: 2 },
  ];
  const colors = { outloud: '#1f6feb', 'outloud-batched': '#0a3069', socketio: '#8250df', nats: '#2da44e' };
  const width = 760;
  const labelWidth = 150;
  const barArea = width - labelWidth - 110;
  const rowHeight = 26;
  const panelHeight = 34 + summary.length * rowHeight + 10;
  const height = 40 + panels.length * panelHeight + 20;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" `
    + `font-family="sans-serif" font-size="13">`, `<rect width="100%" height="100%" fill="#ffffff"/>`,
  `<text x="10" y="22" font-size="15" font-weight="bold">scripts/bench: 1 room × ${meta.params.fanout.subscribers} subscribers, `
    + `server on one core (${esc(meta.started.slice(0, 10))}, ${meta.completedReps} rep.)</text>`];
  panels.forEach((panel, pi) => {
    const top = 40 + pi * panelHeight;
    out.push(`<text x="10" y="${top + 18}" font-weight="bold">${esc(panel.title)}</text>`);
    const max = Math.max(1e-9, ...summary.map((s) => s[panel.key]?.max ?? 0));
    summary.forEach((s, i) => {
      const y = top + 30 + i * rowHeight;
      const stat = s[panel.key];
      out.push(`<text x="10" y="${y + 15}">${esc(s.label)}</text>`);
      if (!stat || stat.max === 0) {
        out.push(`<text x="${labelWidth}" y="${y + 15}" fill="#666">${stat ? 'not even the first step passed' : 'no result'}</text>`);
        return;
      }
      const w = (stat.median / max) * barArea;
      out.push(`<rect x="${labelWidth}" y="${y + 3}" width="${w.toFixed(1)}" height="16" fill="${colors[s.system] ?? '#888'}"/>`);
      if (stat.max > stat.min) {
        const x1 = labelWidth + (stat.min / max) * barArea;
        const x2 = labelWidth + (stat.max / max) * barArea;
        out.push(`<line x1="${x1.toFixed(1)}" x2="${x2.toFixed(1)}" y1="${y + 11}" y2="${y + 11}" stroke="#000"/>`,
          `<line x1="${x1.toFixed(1)}" x2="${x1.toFixed(1)}" y1="${y + 6}" y2="${y + 16}" stroke="#000"/>`,
          `<line x1="${x2.toFixed(1)}" x2="${x2.toFixed(1)}" y1="${y + 6}" y2="${y + 16}" stroke="#000"/>`);
      }
      const labelX = labelWidth + Math.max(w, ((stat.max ?? 0) / max) * barArea) + 6;
      out.push(`<text x="${labelX.toFixed(1)}" y="${y + 15}">${esc(fmt(stat.median, panel.digits))}</text>`);
    });
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
