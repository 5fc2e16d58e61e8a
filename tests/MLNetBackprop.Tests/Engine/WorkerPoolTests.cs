using MLNetBackprop.Engine;

namespace MLNetBackprop.Tests.Engine;

/// <summary>The kernels' fork/join pool: every item exactly once, concurrent callers, nesting, exceptions.</summary>
[Collection(KernelThreadsCollection.Name)] // one timing-sensitive test: no other pool user beside it
public class WorkerPoolTests
{
    private sealed class Counting(int count) : PoolWork
    {
        public readonly int[] Hits = new int[count];
        public override void Run(int index) => Interlocked.Increment(ref Hits[index]);
    }

    [Theory]
    [InlineData(1, 5)]
    [InlineData(2, 1)]
    [InlineData(2, 7)]
    [InlineData(3, 64)]
    [InlineData(8, 3)]
    public void RunsEveryItemExactlyOnce(int threads, int count)
    {
        for (int rep = 0; rep < 200; rep++)
        {
            var w = new Counting(count);
            WorkerPool.Run(w, count, threads);
            Assert.All(w.Hits, h => Assert.Equal(1, h));
        }
    }

    [Fact]
    public void ConcurrentCallersAndNestedDispatchesAreServed()
    {
        // Several threads dispatch at once (one owns the pool, the others run inline), and items dispatch again.
        var nested = new Counting(4);
        var outer = new Nested(nested);
        Parallel.For(0, 4, _ =>
        {
            for (int rep = 0; rep < 100; rep++)
            {
                var w = new Counting(9);
                WorkerPool.Run(w, 9, 2);
                Assert.All(w.Hits, h => Assert.Equal(1, h));
            }
        });
        WorkerPool.Run(outer, 3, 2);
        Assert.All(nested.Hits, h => Assert.Equal(3, h));
    }

    private sealed class Nested(Counting inner) : PoolWork
    {
        public override void Run(int index) => WorkerPool.Run(inner, inner.Hits.Length, 2);
    }

    private sealed class Throwing : PoolWork
    {
        public int Ran;
        public override void Run(int index)
        {
            Interlocked.Increment(ref Ran);
            if (index == 5) throw new InvalidOperationException("item 5");
        }
    }

    [Fact]
    public void AnItemsExceptionReachesTheCallerAndThePoolStaysUsable()
    {
        for (int rep = 0; rep < 20; rep++)
        {
            var w = new Throwing();
            var e = Assert.Throws<InvalidOperationException>(() => WorkerPool.Run(w, 16, 2));
            Assert.Equal("item 5", e.Message);
            var ok = new Counting(10);
            WorkerPool.Run(ok, 10, 2);
            Assert.All(ok.Hits, h => Assert.Equal(1, h));
        }
    }

    private sealed class Recording(int count) : PoolWork
    {
        public readonly int[] Threads = new int[count];
        public override void Run(int index)
        {
            Threads[index] = Environment.CurrentManagedThreadId;
            var until = System.Diagnostics.Stopwatch.GetTimestamp() + System.Diagnostics.Stopwatch.Frequency / 4000; // 250 µs
            while (System.Diagnostics.Stopwatch.GetTimestamp() < until) Thread.SpinWait(10);
        }
    }

    [Fact]
    public void EachThreadStartsWithItsOwnRangeOfItems()
    {
        // Items are cut into one contiguous range per thread, the caller's first, so that item i of consecutive
        // dispatches runs on the same core (its data stays in that core's cache). The caller starts with item 0
        // (unless it loses its core before its first claim and a helper has run items 2 and 3 meanwhile: the tests
        // share two cores); a helper that is running starts with the first item of its own range (item 2 of 4), never
        // item 1 while the caller runs item 2.
        int caller = Environment.CurrentManagedThreadId, callerStartedOwn = 0, helperStartedOwn = 0, helperTookCallers = 0;
        for (int rep = 0; rep < 40; rep++)
        {
            WorkerPool.EndBackoff();
            var w = new Recording(4);
            WorkerPool.Run(w, 4, 2);
            if (w.Threads[0] == caller) callerStartedOwn++;
            if (w.Threads[2] != caller) helperStartedOwn++;
            if (w.Threads[1] != caller && w.Threads[2] == caller) helperTookCallers++;
        }
        Assert.True(callerStartedOwn >= 30, $"the caller ran item 0 in only {callerStartedOwn} of 40 dispatches");
        Assert.True(helperStartedOwn > 0, "no helper ever ran its own range in 40 dispatches of 1 ms");
        Assert.Equal(0, helperTookCallers);
    }
}
