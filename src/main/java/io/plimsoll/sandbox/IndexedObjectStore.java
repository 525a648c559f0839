package io.plimsoll.sandbox;

import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.crud.AttributeType;
import io.fabric8.mockwebserver.crud.CrudDispatcher;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The embedded API's object store: the map in which Fabric8's CRUD dispatcher keeps every object (key: the object's
 * attributes, i.e. kind as plural, api group, version, namespace, name, labels; value: its JSON), in insertion order as
 * Fabric8's own map, plus indexes by name, by kind and by kind and namespace.
 * <p>
 * Fabric8 answers a request by scanning every entry and keeping those whose attributes match the request's. Inside
 * {@link #narrowedTo} a scan of {@link #entrySet()} on the same thread sees only the entries of the one bucket that
 * can hold a match (the objects with the request's name; else of its kind and namespace; else of its kind), in the
 * same order, and Fabric8's own matching still decides: the answers are the same, but a request's cost no longer
 * grows with the number of objects of other kinds, namespaces or names.
 * <p>
 * A query attribute of type WITH is matched by an entry only if the entry holds an equal attribute, so the bucket of
 * the entries holding it is a superset of the matches; queries without one (a path Fabric8 cannot parse) see all.
 */
final class IndexedObjectStore extends AbstractMap<AttributeSet, String> {
    static final String PLURAL = "plural";
    static final String NAMESPACE = "namespace";
    static final String NAME = "name";

    /** A bucket: the objects that hold attribute {@code a} (and {@code b}, unless null). */
    private record Bucket(Attribute a, Attribute b) {
    }

    private final Map<AttributeSet, String> all = new LinkedHashMap<>();
    private final Map<Bucket, Set<AttributeSet>> buckets = new HashMap<>();
    private final ThreadLocal<AttributeSet> query = new ThreadLocal<>();

    /** Puts an indexed store in place of the dispatcher's own map (which must still be empty). */
    static IndexedObjectStore installIn(CrudDispatcher dispatcher) {
        if (!dispatcher.getMap().isEmpty()) throw new IllegalStateException("the dispatcher already holds objects");
        IndexedObjectStore store = new IndexedObjectStore();
        try {
            java.lang.reflect.Field map = CrudDispatcher.class.getDeclaredField("map");
            map.setAccessible(true);
            map.set(dispatcher, store);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot index the mock server's store (has Fabric8's CrudDispatcher changed?)", e);
        }
        return store;
    }

    /**
     * Runs {@code action}; meanwhile this thread's scans of {@link #entrySet()} see only the entries that may match
     * {@code query} (a null query: all).
     */
    <T> T narrowedTo(AttributeSet query, Supplier<T> action) {
        AttributeSet outer = this.query.get();
        this.query.set(query);
        try {
            return action.get();
        } finally {
            if (outer == null) this.query.remove();
            else this.query.set(outer);
        }
    }

    /** The entries that may match {@code query}, in store order: those of its most selective bucket. */
    synchronized List<Map.Entry<AttributeSet, String>> candidates(AttributeSet query) {
        Collection<AttributeSet> keys = query == null ? all.keySet() : bucketFor(query);
        List<Map.Entry<AttributeSet, String>> out = new ArrayList<>(keys.size());
        for (AttributeSet k : keys) out.add(new AbstractMap.SimpleImmutableEntry<>(k, all.get(k)));
        return out;
    }

    private Collection<AttributeSet> bucketFor(AttributeSet query) {
        Attribute name = required(query, NAME);
        Attribute plural = required(query, PLURAL);
        Bucket bucket;
        if (name != null) bucket = new Bucket(name, null);
        else if (plural != null) bucket = new Bucket(plural, required(query, NAMESPACE));
        else return all.keySet();
        Set<AttributeSet> keys = buckets.get(bucket);
        return keys == null ? List.of() : keys;
    }

    /** The query's attribute {@code key} if an entry must hold an equal one to match. */
    private static Attribute required(AttributeSet query, String key) {
        Attribute a = query.getAttribute(key);
        return a != null && a.getType() == AttributeType.WITH ? a : null;
    }

    private static List<Bucket> bucketsOf(AttributeSet key) {
        List<Bucket> out = new ArrayList<>(3);
        Attribute name = key.getAttribute(NAME);
        Attribute plural = key.getAttribute(PLURAL);
        Attribute namespace = key.getAttribute(NAMESPACE);
        if (name != null) out.add(new Bucket(name, null));
        if (plural != null) {
            out.add(new Bucket(plural, null));
            if (namespace != null) out.add(new Bucket(plural, namespace));
        }
        return out;
    }

    @Override
    public synchronized String put(AttributeSet key, String value) {
        if (!all.containsKey(key)) {
            for (Bucket b : bucketsOf(key)) buckets.computeIfAbsent(b, x -> new LinkedHashSet<>()).add(key);
        }
        return all.put(key, value);
    }

    @Override
    public synchronized String remove(Object key) {
        if (!(key instanceof AttributeSet k) || !all.containsKey(k)) return null;
        for (Bucket b : bucketsOf(k)) {
            Set<AttributeSet> keys = buckets.get(b);
            keys.remove(k);
            if (keys.isEmpty()) buckets.remove(b);
        }
        return all.remove(k);
    }

    @Override
    public synchronized void clear() {
        all.clear();
        buckets.clear();
    }

    @Override
    public synchronized String get(Object key) {
        return all.get(key);
    }

    @Override
    public synchronized boolean containsKey(Object key) {
        return all.containsKey(key);
    }

    @Override
    public synchronized int size() {
        return all.size();
    }

    /** A snapshot of the entries: all of them, or inside {@link #narrowedTo} those that may match its query. */
    @Override
    public Set<Map.Entry<AttributeSet, String>> entrySet() {
        List<Map.Entry<AttributeSet, String>> entries = candidates(query.get());
        return new AbstractSet<>() {
            @Override
            public Iterator<Map.Entry<AttributeSet, String>> iterator() {
                return Collections.unmodifiableList(entries).iterator();
            }

            @Override
            public int size() {
                return entries.size();
            }
        };
    }
}
