// Metrics in Prometheus's text exposition format 0.0.4: counters and duration histograms
// that a data path adds to with relaxed atomics, and the writer a scrape renders them with.
