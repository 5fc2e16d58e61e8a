using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace MLNetBackprop.Engine;

/// <summary>Work items a <see cref="WorkerPool"/> dispatch runs: <see cref="Run"/> for every index in [0, count).</summary>
internal abstract class PoolWork
{
    /// <summary>Runs item <paramref name="index"/>. Items of one dispatch must be independent.</summary>
    /// <param name="index">The item.</param>
    public abstract void Run(int index);
}

/// <summary>
/// A small persistent fork/join pool for the kernels (GEMM tiles, optimizer chunks), replacing one
/// <c>Parallel.For</c> per product: no allocation per dispatch, and no waiting for a helper that is not
/// running.
/// </summary>
/// <remarks>
/// <para>The caller takes part: items are claimed one at a time from a shared counter by the caller and
/// by up to threads − 1 helper threads. A helper that is descheduled (the machine is busy) simply claims
/// nothing, and the caller runs the items itself; the caller only ever waits for items a helper has
/// already started. Which thread runs an item never changes what the item computes, so results do not
/// depend on the thread count or on timing (the kernels split outputs, never a sum).</para>
/// <para>Helpers spin (yielding after a few rounds) for <see cref="SpinMicroseconds"/> after a dispatch,
/// waiting for the next (the products of a mini-batch follow each other within microseconds), then block.
/// If the caller waits much longer for a helper than an item takes (the helper was descheduled mid-item),
/// or spinning helpers take under a quarter of a dispatch's items (they have no core of their own: another
/// process wants it), dispatches run inline for <see cref="BackoffMicroseconds"/>, doubling while it keeps
/// happening (up to <see cref="MaxBackoffMicroseconds"/>).
/// One dispatch at a time: a caller that finds the pool busy (a concurrent training) runs its items on
/// its own thread.</para>
/// </remarks>
internal static class WorkerPool
{
    /// <summary>How long an idle helper spins for the next dispatch before blocking.</summary>
    private const int SpinMicroseconds = 200;

    /// <summary>The most helper threads ever started.</summary>
    private const int MaxHelpers = 63;

    /// <summary>A wait for helpers longer than this beyond twice the caller's mean item time counts as a stall.</summary>
    private const int StallMicroseconds = 50;

    /// <summary>Only a dispatch at least this long says whether spinning helpers take their share (a shorter one may be over before they look).</summary>
    private const int JudgeMicroseconds = 20;

    /// <summary>After a stall, dispatches run on the calling thread for this long.</summary>
    private const int BackoffMicroseconds = 10_000;

    /// <summary>The longest back-off.</summary>
    private const int MaxBackoffMicroseconds = 1_000_000;

    private static readonly object s_gate = new();
    private static readonly long s_spinTicks = Ticks(SpinMicroseconds);
    private static readonly long s_stallTicks = Ticks(StallMicroseconds);
    private static readonly long s_judgeTicks = Ticks(JudgeMicroseconds);
    private static readonly long s_backoffTicks = Ticks(BackoffMicroseconds);
    private static readonly long s_maxBackoffTicks = Ticks(MaxBackoffMicroseconds);

    /// <summary>The next back-off (doubles while dispatches keep going badly).</summary>
    private static long s_backoff = s_backoffTicks;

    /// <summary>Until this timestamp, dispatches run inline (a helper was recently descheduled mid-item: the machine is busy).</summary>
    private static long s_inlineUntil;

    /// <summary>1 while a dispatch owns the pool.</summary>
    private static int s_busy;
    /// <summary>(generation &lt;&lt; 32) | next unclaimed item. The generation changes first (with no item claimable) whenever a new dispatch is set up.</summary>
    private static long s_claim;
    private static PoolWork? s_work;
    private static int s_count;
    /// <summary>Helpers with an index below this take part in the current dispatch.</summary>
    private static int s_allowed;
    /// <summary>Items finished by helpers in the current dispatch.</summary>
    private static int s_done;
    private static int s_sleeping;
    private static int s_helpers;
    private static Exception? s_error;
    private static uint s_generation;
    /// <summary>Longs between two helpers' slots (a cache line), so helpers never write the same line.</summary>
    private const int SlotStride = 8;

    /// <summary>Per helper (slot id·<see cref="SlotStride"/>): items run so far, and its thread's allocated bytes as of its last item.</summary>
    private static readonly long[] s_helperItemCounts = new long[MaxHelpers * SlotStride], s_helperAllocated = new long[MaxHelpers * SlotStride];

    /// <summary>Items run by helper threads since the process started (tests: did a dispatch really use a second thread?).</summary>
    internal static long HelperItems => SumSlots(s_helperItemCounts);

    /// <summary>
    /// Bytes the helper threads had allocated as of their last items (<c>GC.GetAllocatedBytesForCurrentThread</c> on each):
    /// with the caller's own count, what a dispatch allocated, without other threads of the process.
    /// </summary>
    internal static long HelperAllocatedBytes => SumSlots(s_helperAllocated);

    private static long SumSlots(long[] slots)
    {
        long sum = 0;
        for (int i = 0; i < slots.Length; i += SlotStride) sum += Volatile.Read(ref slots[i]);
        return sum;
    }

    /// <summary>Tests: ends a back-off (dispatches run inline after a stall), so the next dispatch offers items to the helpers again.</summary>
    internal static void EndBackoff()
    {
        Volatile.Write(ref s_inlineUntil, 0);
        s_backoff = s_backoffTicks;
    }

    /// <summary>
    /// Runs <c>work.Run(i)</c> once for every i in [0, <paramref name="count"/>), on the calling thread and up
    /// to <paramref name="threads"/> − 1 helpers, and returns when all have finished.
    /// </summary>
    /// <param name="work">The items.</param>
    /// <param name="count">Number of items.</param>
    /// <param name="threads">Most threads to use, the caller included.</param>
    public static void Run(PoolWork work, int count, int threads)
    {
        threads = Math.Min(Math.Min(threads, count), MaxHelpers + 1);
        if (threads <= 1 || Stopwatch.GetTimestamp() < Volatile.Read(ref s_inlineUntil)
            || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            for (int i = 0; i < count; i++) work.Run(i);
            return;
        }
        try
        {
            EnsureHelpers(threads - 1);
            ulong gen = ++s_generation;
            // Close the previous dispatch for good before changing what the items are.
            Interlocked.Exchange(ref s_claim, (long)((gen << 32) | uint.MaxValue));
            s_work = work;
            s_count = count;
            s_allowed = threads - 1;
            s_done = 0;
            s_error = null;
            Interlocked.Exchange(ref s_claim, (long)(gen << 32));
            bool helpersAwake = Volatile.Read(ref s_sleeping) == 0;
            if (!helpersAwake)
                lock (s_gate) Monitor.PulseAll(s_gate);

            int mine = 0;
            long started = Stopwatch.GetTimestamp();
            try
            {
                while (TryClaim(gen, out var w, out int i))
                {
                    mine++;
                    w.Run(i);
                }
            }
            finally
            {
                // After an exception here, claim (and skip) what is left so that the count below is right.
                while (TryClaim(gen, out _, out _)) mine++;
                // Every item is claimed now; wait for the ones helpers are running (they share our buffers).
                int helpers = count - mine;
                bool busyMachine = false;
                if (Volatile.Read(ref s_done) < helpers)
                {
                    long waitFrom = Stopwatch.GetTimestamp();
                    var spin = new SpinWait();
                    while (Volatile.Read(ref s_done) < helpers) spin.SpinOnce(sleep1Threshold: -1);
                    // Waiting much longer than an item takes means a helper lost its core mid-item.
                    long meanItem = mine > 0 ? (waitFrom - started) / mine : 0;
                    busyMachine = Stopwatch.GetTimestamp() - waitFrom > 2 * meanItem + s_stallTicks;
                }
                // Helpers that were already spinning yet ran under a quarter of a long dispatch's items do not have a
                // core of their own (another process, or our own thread, has it): their spinning only
                // slows the caller. Either way the machine is busy: stop forking for a while (the
                // results are the same either way; the idle helpers block after their spin).
                // The back-off doubles with every bad dispatch in a row (up to MaxBackoffMicroseconds; each
                // stall can cost a scheduler time slice) and resets after a dispatch the helpers did share.
                long end = Stopwatch.GetTimestamp();
                bool judged = end - started > s_judgeTicks;
                if (busyMachine || (helpersAwake && judged && helpers * 4 < count))
                {
                    long backoff = s_backoff;
                    Volatile.Write(ref s_inlineUntil, end + backoff);
                    s_backoff = Math.Min(2 * backoff, s_maxBackoffTicks);
                }
                else if (helpersAwake && judged) s_backoff = s_backoffTicks;
            }
            if (s_error is { } e) ExceptionDispatchInfo.Capture(e).Throw();
        }
        finally
        {
            s_work = null;
            Volatile.Write(ref s_busy, 0);
        }
    }

    /// <summary>Claims the next item of dispatch <paramref name="gen"/>, if any is left.</summary>
    private static bool TryClaim(ulong gen, out PoolWork work, out int index)
    {
        while (true)
        {
            long s = Volatile.Read(ref s_claim);
            uint next = (uint)s;
            // Read after the claim word: the dispatch these belong to is the one whose generation the CAS below checks.
            int count = Volatile.Read(ref s_count);
            var w = Volatile.Read(ref s_work);
            if ((ulong)s >> 32 != (gen & uint.MaxValue) || next >= (uint)count || w is null)
            {
                work = null!;
                index = -1;
                return false;
            }
            if (Interlocked.CompareExchange(ref s_claim, s + 1, s) == s)
            {
                work = w;
                index = (int)next;
                return true;
            }
        }
    }

    private static long Ticks(int microseconds) => Math.Max(1, Stopwatch.Frequency * microseconds / 1_000_000);

    private static void EnsureHelpers(int wanted)
    {
        if (Volatile.Read(ref s_helpers) >= wanted) return;
        lock (s_gate)
        {
            while (s_helpers < wanted)
            {
                int id = s_helpers;
                var t = new Thread(() => HelperLoop(id)) { IsBackground = true, Name = $"MLNetBackprop kernel helper {id + 1}" };
                t.Start();
                s_helpers++;
            }
        }
    }

    private static void HelperLoop(int id)
    {
        ulong seen = (ulong)Volatile.Read(ref s_claim) >> 32;
        while (true)
        {
            ulong gen = WaitForDispatch(seen);
            seen = gen;
            if (id >= Volatile.Read(ref s_allowed)) continue;
            while (TryClaim(gen, out var w, out int i))
            {
                try { w.Run(i); }
                catch (Exception e) { Interlocked.CompareExchange(ref s_error, e, null); }
                // Only this helper writes its slot; published before s_done, so a caller that waited for the item sees it.
                s_helperItemCounts[id * SlotStride]++;
                Volatile.Write(ref s_helperAllocated[id * SlotStride], GC.GetAllocatedBytesForCurrentThread());
                Interlocked.Increment(ref s_done);
            }
        }
    }

    /// <summary>Spins, then blocks, until a dispatch with a generation other than <paramref name="seen"/> is open.</summary>
    private static ulong WaitForDispatch(ulong seen)
    {
        long until = Stopwatch.GetTimestamp() + s_spinTicks;
        for (int spins = 0; ; spins++)
        {
            long s = Volatile.Read(ref s_claim);
            if ((ulong)s >> 32 != seen && (uint)s != uint.MaxValue) return (ulong)s >> 32;
            if (Stopwatch.GetTimestamp() > until) break;
            // Spin briefly, then yield while spinning: if this helper shares a core with the caller
            // (another process has the other), the caller gets it back at once.
            if (spins < 64) Thread.SpinWait(20);
            else Thread.Yield();
        }
        lock (s_gate)
        {
            Interlocked.Increment(ref s_sleeping);
            try
            {
                while (true)
                {
                    long s = Volatile.Read(ref s_claim);
                    if ((ulong)s >> 32 != seen && (uint)s != uint.MaxValue) return (ulong)s >> 32;
                    Monitor.Wait(s_gate);
                }
            }
            finally { Interlocked.Decrement(ref s_sleeping); }
        }
    }
}
