import Router from '@koa/router';
import { ImageServiceError, type ProxyImage } from '../../../services/images/index.js';
import { metadataLimit } from '../../../services/compute/quotas.js';
import { badRequest, NovaFault, notFound } from '../errors.js';
import { checkBody } from '../json-schema.js';
import { lastOf } from '../nova-values.js';
import { collectionLinks, limitOf, markerOf, MAX_LIMIT } from '../pagination.js';
import { metaItemSchema, metadataSchema } from '../schemas/server-subresources.js';
import { requestBody, type ComputeContext, type ComputeServices, type ComputeState } from '../services.js';
import { imageDetail, imageSummary, metadataOf } from '../views/image.js';

// Nova's image API proxy (images.py, image_metadata.py): Glance's images in Nova's words, with the caller's own
// credentials, so Glance decides what is seen and allowed. Nova serves the images up to 2.35 and their metadata up
// to 2.38; from then on both are 404. No Nova policy applies: Glance's does.

const PROXY_MAX = '2.36';
const METADATA_MAX = '2.39';

/** Nova's SUPPORTED_FILTERS, in the names Glance v2 takes them (after nova.image.glance's translation). */
function glanceFilters(query: ComputeContext['query']): Record<string, string> {
  const filters: Record<string, string> = {};
  for (const [param, raw] of Object.entries(query)) {
    const value = lastOf(raw);
    if (value === undefined) continue;
    if (param === 'name' || param === 'status') filters[param] = param === 'status' ? value.toLowerCase() : value;
    else if (param === 'changes-since') filters.updated_at = `gte:${value}`;
    // A server's id, or its link: the id is what follows the last slash.
    else if (param === 'server') filters.instance_uuid = value.includes('/') ? value.slice(value.lastIndexOf('/') + 1) : value;
    else if (param === 'type') filters.image_type = value;
    else if (param === 'minRam') filters.min_ram = value;
    else if (param === 'minDisk') filters.min_disk = value;
    else if (param.startsWith('property-') && param.length > 'property-'.length) filters[param.slice('property-'.length)] = value;
  }
  return filters;
}

export function imageRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();
  const glanceRoot = () => s.images.rootUrl();
  const caller = (ctx: ComputeContext) => [ctx.state.auth, ctx.state.project] as const;

  const proxied = (ctx: ComputeContext, until: string) => {
    if (ctx.state.version.atLeast(until)) throw notFound('The resource could not be found.');
  };

  /** The image for the metadata API: Nova's 404, or its 403 when Glance refuses the read. */
  const imageOf = async (ctx: ComputeContext, id: string): Promise<ProxyImage> => {
    try {
      const image = await s.images.getImage(...caller(ctx), id);
      if (!image) throw notFound('Image not found.');
      return image;
    } catch (error) {
      if (error instanceof ImageServiceError && error.status === 403) throw new NovaFault(403, `Not authorized for image ${id}.`);
      throw error;
    }
  };

  const list = async (ctx: ComputeContext, collection: 'images' | 'images/detail') => {
    proxied(ctx, PROXY_MAX);
    const limit = limitOf(ctx) || MAX_LIMIT;
    let images: ProxyImage[];
    try {
      images = await s.images.listImages(...caller(ctx), { filters: glanceFilters(ctx.query), limit, marker: markerOf(ctx) });
    } catch (error) {
      if (error instanceof ImageServiceError) throw new NovaFault(error.status === 403 ? 403 : 400, `${error.message} (HTTP ${error.status})`);
      throw error;
    }
    const view = collection === 'images' ? imageSummary : imageDetail;
    const links = collectionLinks(
      s,
      ctx,
      collection,
      images.map((i) => i.id),
    );
    ctx.body = { images: images.map((i) => view(s, glanceRoot(), i)), ...(links.length ? { images_links: links } : {}) };
  };
  router.get('/images', (ctx) => list(ctx, 'images'));
  router.get('/images/detail', (ctx) => list(ctx, 'images/detail'));

  router.get('/images/:id', async (ctx) => {
    proxied(ctx, PROXY_MAX);
    ctx.body = { image: imageDetail(s, glanceRoot(), await imageOf(ctx, ctx.params.id)) };
  });

  // A blank id names no image: Nova's router finds no route and answers 404 (Tempest's test_delete_image_blank_id).
  router.delete('/images', () => {
    throw notFound('The resource could not be found.');
  });

  router.delete('/images/:id', async (ctx) => {
    proxied(ctx, PROXY_MAX);
    try {
      await s.images.deleteImage(...caller(ctx), ctx.params.id);
    } catch (error) {
      if (!(error instanceof ImageServiceError)) throw error;
      if (error.status === 404) throw notFound('Image not found.');
      if (error.status === 403) throw new NovaFault(403, 'You are not allowed to delete the image.');
      throw new NovaFault(409, `Conflict deleting image. Reason: ${error.message}.`);
    }
    ctx.status = 204;
  });

  /** Writes the image's properties (all of them, as Nova's update with purge_props) within the metadata_items quota. */
  const write = async (ctx: ComputeContext, id: string, properties: Record<string, string>, checkQuota = true) => {
    const limit = checkQuota ? await metadataLimit(s, ctx.state.project) : -1;
    if (limit >= 0 && Object.keys(properties).length > limit) throw new NovaFault(403, 'Image metadata limit exceeded');
    try {
      return await s.images.replaceImageProperties(...caller(ctx), id, properties);
    } catch (error) {
      if (!(error instanceof ImageServiceError)) throw error;
      if (error.status === 404) throw notFound('Image not found.');
      if (error.status === 403) throw new NovaFault(403, `Not authorized for image ${id}.`);
      throw badRequest(`Request of image ${id} got BadRequest response: ${error.message}`);
    }
  };

  router.get('/images/:id/metadata', async (ctx) => {
    proxied(ctx, METADATA_MAX);
    ctx.body = { metadata: metadataOf(await imageOf(ctx, ctx.params.id)) };
  });

  // Nova answers 200 rather than 201 here.
  router.post('/images/:id/metadata', async (ctx) => {
    proxied(ctx, METADATA_MAX);
    const body = await requestBody(ctx);
    checkBody(metadataSchema, body);
    const image = await imageOf(ctx, ctx.params.id);
    const merged = { ...image.properties, ...(body as { metadata: Record<string, string> }).metadata };
    ctx.body = { metadata: metadataOf(await write(ctx, ctx.params.id, merged)) };
  });

  router.put('/images/:id/metadata', async (ctx) => {
    proxied(ctx, METADATA_MAX);
    const body = await requestBody(ctx);
    checkBody(metadataSchema, body);
    const metadata = (body as { metadata: Record<string, string> }).metadata;
    await imageOf(ctx, ctx.params.id);
    await write(ctx, ctx.params.id, metadata);
    ctx.body = { metadata };
  });

  router.get('/images/:id/metadata/:key', async (ctx) => {
    proxied(ctx, METADATA_MAX);
    const metadata = metadataOf(await imageOf(ctx, ctx.params.id));
    if (!Object.hasOwn(metadata, ctx.params.key)) throw notFound('The resource could not be found.');
    ctx.body = { meta: { [ctx.params.key]: metadata[ctx.params.key] } };
  });

  router.put('/images/:id/metadata/:key', async (ctx) => {
    proxied(ctx, METADATA_MAX);
    const body = await requestBody(ctx);
    checkBody(metaItemSchema, body);
    const meta = (body as { meta: Record<string, string> }).meta;
    if (!Object.hasOwn(meta, ctx.params.key)) throw badRequest('Request body and URI mismatch');
    const image = await imageOf(ctx, ctx.params.id);
    await write(ctx, ctx.params.id, { ...image.properties, [ctx.params.key]: meta[ctx.params.key] });
    ctx.body = { meta };
  });

  router.delete('/images/:id/metadata/:key', async (ctx) => {
    proxied(ctx, METADATA_MAX);
    const image = await imageOf(ctx, ctx.params.id);
    if (!Object.hasOwn(image.properties, ctx.params.key)) throw notFound('Invalid metadata key');
    const rest = { ...image.properties };
    delete rest[ctx.params.key];
    await write(ctx, ctx.params.id, rest, false);
    ctx.status = 204;
  });

  return router;
}
