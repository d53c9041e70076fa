import { Op, type Transaction, type WhereOptions } from 'sequelize';
import type { ImageMemberRow, ImageRow, Models } from '../../models/index.js';
import type { FullImage } from './views.js';
import { readRows } from '../../models/typed.js';

/** Reads and writes image rows with their custom properties and tags. */
export class ImageRepository {
  constructor(readonly models: Models) {}

  async get(id: string): Promise<FullImage | undefined> {
    const [image] = await this.all({ id });
    return image;
  }

  async all(where: WhereOptions = {}): Promise<FullImage[]> {
    return this.withDetails(await readRows(this.models.Image, { where }));
  }

  /** The rows with their custom properties and tags, in the rows' order. */
  async withDetails(rows: ImageRow[]): Promise<FullImage[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const props = await readRows(this.models.ImageProperty, { where: { image_id: { [Op.in]: ids } } });
    const tags = await readRows(this.models.ImageTag, { where: { image_id: { [Op.in]: ids } } });
    const full = new Map<string, FullImage>(rows.map((row) => [row.id, { row, properties: {}, tags: [] }]));
    for (const p of props) full.get(p.image_id)!.properties[p.name] = p.value;
    for (const t of tags) full.get(t.image_id)!.tags.push(t.value);
    return [...full.values()];
  }

  /** Writes the row and replaces its properties and tags, in one transaction. */
  async save(image: FullImage): Promise<void> {
    const { Image, ImageProperty, ImageTag } = this.models;
    await Image.sequelize!.transaction(async (transaction) => {
      await this.lockImage(image.row.id, transaction);
      await Image.upsert(image.row, { transaction });
      await ImageProperty.destroy({ where: { image_id: image.row.id }, transaction });
      await ImageTag.destroy({ where: { image_id: image.row.id }, transaction });
      const props = Object.entries(image.properties).map(([name, value]) => ({ image_id: image.row.id, name, value }));
      if (props.length) await ImageProperty.bulkCreate(props, { transaction });
      if (image.tags.length)
        await ImageTag.bulkCreate(
          [...new Set(image.tags)].map((value) => ({ image_id: image.row.id, value })),
          { transaction },
        );
    });
  }

  /**
   * Every transaction that rewrites an image's rows takes the image's row lock first. Without it two of them (two tag
   * PUTs, a save and a delete) delete and insert the same rows in different orders and deadlock on PostgreSQL;
   * with it they take turns. SQLite's writes take turns already.
   */
  private async lockImage(id: string, transaction: Transaction): Promise<void> {
    if (this.models.Image.sequelize!.getDialect() === 'postgres')
      await this.models.Image.findByPk(id, { transaction, lock: transaction.LOCK.UPDATE });
  }

  /** Moves an image from one status to another only if no one moved it first. */
  async transition(id: string, from: string[], to: Partial<ImageRow>): Promise<boolean> {
    const [count] = await this.models.Image.update(to, { where: { id, status: { [Op.in]: from } } });
    return count === 1;
  }

  async remove(id: string): Promise<void> {
    const { Image, ImageProperty, ImageTag, ImageMember } = this.models;
    await Image.sequelize!.transaction(async (transaction) => {
      await this.lockImage(id, transaction);
      await ImageProperty.destroy({ where: { image_id: id }, transaction });
      await ImageTag.destroy({ where: { image_id: id }, transaction });
      await ImageMember.destroy({ where: { image_id: id }, transaction });
      await Image.destroy({ where: { id }, transaction });
    });
  }

  /** The bytes a project's images hold, as Glance's storage quota counts them (staged data is not yet stored). */
  async storedBy(owner: string): Promise<number> {
    const total = await this.models.Image.sum('size', { where: { owner, status: { [Op.notIn]: ['uploading', 'importing'] } } });
    return Number(total ?? 0);
  }

  async membersOf(imageId: string): Promise<ImageMemberRow[]> {
    return readRows(this.models.ImageMember, { where: { image_id: imageId } });
  }

  async membershipsOf(project: string): Promise<ImageMemberRow[]> {
    return readRows(this.models.ImageMember, { where: { member: project } });
  }
}
