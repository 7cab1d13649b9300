/** CPU and memory from the kernel's accounting in /proc (Linux only). */
import { existsSync, readdirSync, readFileSync } from 'node:fs'

/** The process's peak resident memory, in MB, from the kernel: its high-water mark, threads included. */
export function peakRssMb (pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(match?.[1]) / 1024
}

type Threads = Map<number, { nice: number, seconds: number }>

/** CPU time, in seconds, that each thread of process `pid` has run, from the kernel's scheduler; and its nice value. */
function threadTimes (pid: number): Threads {
  const threads: Threads = new Map()
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      // The fields after the command name's closing parenthesis start at the 3rd (state); nice is the 19th.
      const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])
      const seconds = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e9
      threads.set(Number(tid), { nice, seconds })
    } catch {} // a thread that ended between the listing and the read
  }
  return threads
}

function totalSeconds (threads: Threads): number {
  return [...threads.values()].reduce((total, { seconds }) => total + seconds, 0)
}

/** The machine's CPU time so far, in seconds, from /proc/stat (in 1/100 s ticks): busy, idle, and taken by the host. */
function machineTimes (): { busy: number, idle: number, steal: number } {
  // cpu user nice system idle iowait irq softirq steal: waiting for I/O is idle too.
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] as string
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.split(/\s+/).slice(1, 9).map(Number) as
    [number, number, number, number, number, number, number, number]
  return { busy: (user + nice + system + irq + softirq) / 100, idle: (idle + iowait) / 100, steal: steal / 100 }
}

/**
 * Where the machine's cores went over a window: the hashing threads' CPU in cores and in
 * seconds, and the rest by part, in cores, adding up to the machine's cores.
 */
export interface CpuUse {
  hashing: number
  hashingSeconds: number
  hashingThreads: number
  parts: Record<string, number>
}

/**
 * Starts measuring the CPU of `service` (its threads told apart: the event loop's thread has the
 * process's id, the hashing threads run at a raised nice value) and of the load generator; the
 * returned function ends the window. Linux only: elsewhere it measures nothing.
 */
export function cpuWindow (service: number, loaderPid: number): () => CpuUse | undefined {
  if (!existsSync('/proc/self/schedstat')) return () => undefined
  const began = {
    at: performance.now(),
    service: threadTimes(service),
    loader: totalSeconds(threadTimes(loaderPid)),
    machine: machineTimes()
  }
  return () => {
    const seconds = (performance.now() - began.at) / 1000
    const loader = totalSeconds(threadTimes(loaderPid)) - began.loader
    let hashingSeconds = 0
    let hashingThreads = 0
    let eventLoop = 0
    let otherThreads = 0
    for (const [tid, { nice, seconds: ran }] of threadTimes(service)) {
      // A thread started during the window ran all its time within it.
      const within = ran - (began.service.get(tid)?.seconds ?? 0)
      if (tid === service) eventLoop += within
      else if (nice > 0) {
        hashingSeconds += within
        hashingThreads++
      } else otherThreads += within
    }
    const machine = machineTimes()
    const busy = machine.busy - began.machine.busy
    const cores = (time: number) => time / seconds
    // The machine's times are counted in hundredths of a second: everything else is good to
    // about ±0.01 core, and may show a hair below zero.
    const rest = busy - hashingSeconds - eventLoop - otherThreads - loader
    return {
      hashing: cores(hashingSeconds),
      hashingSeconds,
      hashingThreads,
      parts: {
        'event loop': cores(eventLoop),
        'the service\'s other threads': cores(otherThreads),
        'load generator': cores(loader),
        'everything else': cores(rest),
        idle: cores(machine.idle - began.machine.idle),
        'taken by the host': cores(machine.steal - began.machine.steal)
      }
    }
  }
}
