// When each step of a run happened in this controller process, and the stages between them: the
// controller's share of a run's latency, hop by hop (exported as coderun_controller_run_stage_seconds).
// The runner's report says when it had the job, started and ended the program and had its report ready
// (docs/runner-protocol.md, `timings`), which splits the program hop into the transport each way and
// the runner's own steps.
import type { RunnerTimings } from '../runtimes/protocol.ts';

/** How a run got its sandbox: a pool's pre-started Pod (warm) or a Pod created for it (cold). */
export type Sandbox = 'warm' | 'cold';

/** The moments the controller marks, in the order a run passes them. */
export type Mark =
  /** The first reconcile that saw the run live. */
  | 'seen'
  /** The claim (warm) or create (cold) call for its sandbox Pod was made. */
  | 'requested'
  /** The sandbox can take the job: the claim returned (warm), the runner was seen running (cold). */
  | 'ready'
  /** The attach carrying the job is open and the job is on its way. */
  | 'jobSent'
  /** The runner had the whole job line (the runner's clock; the marks below up to 'reported' too). */
  | 'jobReceived'
  /** The runner handed the program its arguments. */
  | 'programStarted'
  /** The runner saw the program end. */
  | 'programEnded'
  /** The runner had its report ready to write. */
  | 'reportReady'
  /** The runner's report came back. */
  | 'reported'
  /** The terminal status write was sent. */
  | 'writing'
  /** The terminal status was written. */
  | 'finished';

export type Stage =
  | 'decide'
  | 'sandbox'
  | 'attach'
  | 'program'
  | 'transport-in'
  | 'runner-start'
  | 'runner-program'
  | 'runner-report'
  | 'transport-out'
  | 'settle'
  | 'write';

/** Each stage is the time between two marks; `within` names the stage it is a part of. */
export const STAGES: readonly { stage: Stage; from: Mark; to: Mark; help: string; within?: Stage }[] = [
  { stage: 'decide', from: 'seen', to: 'requested', help: 'policy check and decision' },
  {
    stage: 'sandbox',
    from: 'requested',
    to: 'ready',
    help: 'the claim call, or Pod create to runner running',
  },
  { stage: 'attach', from: 'ready', to: 'jobSent', help: 'until the attach carrying the job is open' },
  { stage: 'program', from: 'jobSent', to: 'reported', help: 'the runner runs the job and reports' },
  {
    stage: 'transport-in',
    from: 'jobSent',
    to: 'jobReceived',
    help: 'the job line through the attach to the runner',
    within: 'program',
  },
  {
    stage: 'runner-start',
    from: 'jobReceived',
    to: 'programStarted',
    help: 'the runner reads the job and writes the program',
    within: 'program',
  },
  {
    stage: 'runner-program',
    from: 'programStarted',
    to: 'programEnded',
    help: 'the program, from its arguments to its end',
    within: 'program',
  },
  {
    stage: 'runner-report',
    from: 'programEnded',
    to: 'reportReady',
    help: 'the runner collects output and artifacts into its report',
    within: 'program',
  },
  {
    stage: 'transport-out',
    from: 'reportReady',
    to: 'reported',
    help: 'the result line through the attach back to the controller',
    within: 'program',
  },
  {
    stage: 'settle',
    from: 'reported',
    to: 'writing',
    help: 'until the reconcile that ends the run sends its status',
  },
  { stage: 'write', from: 'writing', to: 'finished', help: 'the terminal status write' },
];

export interface Timeline {
  sandbox?: Sandbox;
  marks: Partial<Record<Mark, number>>;
}

/** The stages a timeline has both ends of, in seconds. Pure. */
export function stageSeconds(timeline: Timeline): { stage: Stage; seconds: number }[] {
  const out: { stage: Stage; seconds: number }[] = [];
  for (const { stage, from, to } of STAGES) {
    const start = timeline.marks[from];
    const end = timeline.marks[to];
    if (start !== undefined && end !== undefined && end >= start)
      out.push({ stage, seconds: (end - start) / 1000 });
  }
  return out;
}

/** The timelines of the runs this process is driving, by run uid. Only the first time of each mark counts. */
export class RunTimelines {
  private readonly byRun = new Map<string, Timeline>();

  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** Marks `mark` for the run now, unless it was marked already; returns the timeline. */
  mark(uid: string, mark: Mark, sandbox?: Sandbox): Timeline {
    let timeline = this.byRun.get(uid);
    if (!timeline) {
      timeline = { marks: {} };
      this.byRun.set(uid, timeline);
    }
    if (sandbox) timeline.sandbox = sandbox;
    timeline.marks[mark] ??= this.now();
    return timeline;
  }

  /**
   * Marks 'reported' now and places the runner's own moments, from its report, on this timeline. The
   * runner's wall clock places them (on one node it is the controller's); where the clocks disagree they are
   * moved as little as keeps them between 'jobSent' and 'reported', so the transport each way may be off
   * by the clocks' difference, never below zero, and the stages still add up to 'program'.
   */
  reported(uid: string, runner?: RunnerTimings): Timeline {
    const timeline = this.mark(uid, 'reported');
    const { jobSent, reported } = timeline.marks;
    if (!runner || jobSent === undefined || reported === undefined || timeline.marks.jobReceived)
      return timeline;
    const span = runner.reportMs ?? runner.programEndedMs ?? runner.programStartedMs ?? 0;
    const received = Math.max(jobSent, Math.min(runner.jobReceivedAt, reported - span));
    timeline.marks.jobReceived = received;
    const offsets = [
      ['programStarted', runner.programStartedMs],
      ['programEnded', runner.programEndedMs],
      ['reportReady', runner.reportMs],
    ] as const;
    for (const [mark, ms] of offsets)
      if (ms !== undefined) timeline.marks[mark] = Math.min(received + ms, reported);
    return timeline;
  }

  get(uid: string): Timeline | undefined {
    return this.byRun.get(uid);
  }

  /** The uids with a timeline (the controller forgets those of runs that are gone). */
  keys(): IterableIterator<string> {
    return this.byRun.keys();
  }

  forget(uid: string): void {
    this.byRun.delete(uid);
  }
}
